/*
 * i18n.h - messages for people in their own language (GNU gettext, the
 * catalogs in po/; see README.md, "Languages").
 *
 * Mark a message with _("...") where it is printed, N_("...") where it sits
 * in a table and is translated later with _(), and C_("context", "...")
 * where the same English word needs different translations (a context
 * tells them apart); NC_("context", "...") in a table, translated later with
 * cb_i18n_pgettext_marked. po/update-pot.sh collects every marked message into
 * po/consentblur.pot.
 *
 * Only the CLI chooses a language (cb_i18n_init, first thing in main).
 * Lower layers that mark their messages (consent/decide.c) look them up in
 * the "consentblur" domain explicitly, so a program that links them without
 * calling cb_i18n_init, such as the tests, gets the English text.
 * Machine-readable output (JSON keys and values, reason names, log lines at
 * debug level) is never translated.
 */
#ifndef CB_I18N_H
#define CB_I18N_H

#include <libintl.h>

/* The gettext domain: po/LL.po compiles to LL/LC_MESSAGES/consentblur.mo. */
#define CB_I18N_DOMAIN "consentblur"

/* The translation of msgid (msgid itself when there is none). */
#define _(msgid) dgettext(CB_I18N_DOMAIN, msgid)
/* Marks msgid for translation without translating it here (tables). */
#define N_(msgid) (msgid)
/* The translation of msgid in context ctx (both string literals). */
#define C_(ctx, msgid) cb_i18n_pgettext(ctx "\004" msgid, msgid)
/* Marks msgid in context ctx for translation without translating it here
 * (tables): the string "ctx\004msgid", translated later with
 * cb_i18n_pgettext_marked. */
#define NC_(ctx, msgid) (ctx "\004" msgid)

/*
 * Choose the language from the environment, for the whole process: the
 * locale from LC_ALL / LC_MESSAGES / LANG (LANGUAGE, a list such as
 * "nl:en", comes first for messages, as gettext defines). When that locale
 * is not installed on this machine (LANG=nl_NL.UTF-8 without nl_NL
 * generated), C.UTF-8 is used instead and, unless LANGUAGE is set, LANGUAGE
 * is set from the locale's name ("nl_NL.UTF-8" -> "nl_NL:nl"), so messages
 * are still Dutch. Numbers are always written and read the C way
 * (LC_NUMERIC stays "C": JSON, option values).
 *
 * The catalogs are looked for in $CONSENTBLUR_LOCALEDIR when set, else in
 * the build tree's locale/ folder when it holds a catalog (running from the
 * build tree), else in the installed location (share/locale). Messages are
 * always UTF-8. Call once, before any other thread starts.
 */
void cb_i18n_init(void);

/* The translation of ctx_msgid ("context\004msgid"), else msgid. Use C_(). */
const char *cb_i18n_pgettext(const char *ctx_msgid, const char *msgid);

/* The translation of a string marked with NC_() ("context\004msgid"), else
 * its msgid (the whole string when it has no context). */
const char *cb_i18n_pgettext_marked(const char *ctx_msgid);

/*
 * Situations without a status code of their own, for cb_i18n_reason. Below
 * every CB_E* code (cb_error.h), never returned by a function.
 */
enum {
    CB_I18N_SYMLINK = -2001,     /* a symbolic link where a file was expected */
    CB_I18N_NOT_REGULAR = -2002  /* a folder, device, pipe ... where a file was expected */
};

/*
 * One sentence for the staff who dropped a file in, in their language,
 * saying what went wrong with it and what to do, chosen from a status code
 * (CB_E*, -errno, or a CB_I18N_* value above). Never NULL; a code without a
 * sentence of its own gets a general one. The technical detail (the
 * cb_error message) is for a second line: this does not repeat it.
 */
const char *cb_i18n_reason(int code);

#endif
