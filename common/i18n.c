/* i18n.c - choosing the language, and the staff's reasons; see i18n.h. */
#include "i18n.h"

#include <dirent.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cb_error.h"

#ifndef CB_LOCALE_DIR_INSTALL
#define CB_LOCALE_DIR_INSTALL "/usr/local/share/locale"
#endif

/* Does dir hold a catalog of ours (dir/LL/LC_MESSAGES/consentblur.mo)? */
static int holds_catalog(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof path, "%s/%s/LC_MESSAGES/" CB_I18N_DOMAIN ".mo", dir,
                     e->d_name) < (int)sizeof path &&
            stat(path, &st) == 0 && S_ISREG(st.st_mode))
            found = 1;
    }
    closedir(d);
    return found;
}

static const char *locale_dir(void)
{
    const char *env = getenv("CONSENTBLUR_LOCALEDIR");
    if (env && *env)
        return env;
#ifdef CB_LOCALE_DIR_BUILD
    if (holds_catalog(CB_LOCALE_DIR_BUILD))
        return CB_LOCALE_DIR_BUILD;
#else
    (void)holds_catalog;
#endif
    return CB_LOCALE_DIR_INSTALL;
}

/*
 * The locale is not installed: messages are chosen by LANGUAGE instead.
 * "nl_NL.UTF-8@euro" -> "nl_NL:nl"; "nl" -> "nl"; "C", "POSIX" -> nothing.
 */
static void language_from_locale_name(void)
{
    const char *lang = getenv("LANGUAGE");
    if (lang && *lang)
        return; /* the user's own list wins */
    static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    const char *name = NULL;
    for (size_t i = 0; i < sizeof vars / sizeof vars[0] && !name; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            name = v;
    }
    if (!name || !strcmp(name, "C") || !strncmp(name, "C.", 2) || !strcmp(name, "POSIX"))
        return;
    char ll_cc[64], ll[64], value[130];
    size_t n = strcspn(name, ".@");
    size_t m = strcspn(name, "_.@");
    if (n == 0 || n >= sizeof ll_cc || m == 0)
        return;
    memcpy(ll_cc, name, n);
    ll_cc[n] = '\0';
    memcpy(ll, name, m);
    ll[m] = '\0';
    if (m < n)
        snprintf(value, sizeof value, "%s:%s", ll_cc, ll);
    else
        snprintf(value, sizeof value, "%s", ll);
    setenv("LANGUAGE", value, 1);
}

void cb_i18n_init(void)
{
    if (!setlocale(LC_ALL, "")) {
        /* The environment names a locale this machine does not have. */
        if (!setlocale(LC_ALL, "C.UTF-8"))
            setlocale(LC_ALL, "C");
        language_from_locale_name();
    }
    /* Decimal points stay points: JSON, --threshold 0.5, and the libraries. */
    setlocale(LC_NUMERIC, "C");
    bindtextdomain(CB_I18N_DOMAIN, locale_dir());
    bind_textdomain_codeset(CB_I18N_DOMAIN, "UTF-8");
    textdomain(CB_I18N_DOMAIN);
}

const char *cb_i18n_pgettext(const char *ctx_msgid, const char *msgid)
{
    const char *t = dgettext(CB_I18N_DOMAIN, ctx_msgid);
    return t == ctx_msgid ? msgid : t;
}

const char *cb_i18n_pgettext_marked(const char *ctx_msgid)
{
    const char *sep = strchr(ctx_msgid, '\004');
    return cb_i18n_pgettext(ctx_msgid, sep ? sep + 1 : ctx_msgid);
}

const char *cb_i18n_reason(int code)
{
    switch (code) {
    case CB_EDECODE:
        return _("This file cannot be read as a photo or video.");
    case CB_EFORMAT:
        return _("This kind of file is not supported: use photos (JPEG, PNG, WebP) or videos "
                 "(MP4, MOV, MKV, WebM, AVI).");
    case CB_ETOOBIG:
        return _("The photo or video is too large to process: make it smaller (fewer pixels) "
                 "and try again.");
    case CB_ETOOSMALL:
        return _("The photo or video is too small to look for faces in.");
    case CB_EMODEL:
        return _("The face recognition software could not be started, so nothing was "
                 "processed: ask the administrator.");
    case CB_EDB:
        return _("The consent registry could not be read, so nothing was processed: ask the "
                 "administrator.");
    case CB_EBUSY:
        return _("The consent registry was busy for too long, so nothing was processed: try "
                 "again in a moment.");
    case CB_EEXIST:
        return _("There is already a file of this name where the result should go.");
    case CB_EENCODE:
        return _("The processed copy could not be saved.");
    case CB_ENOMEM:
        return _("There was not enough memory to process this file: try again later, or ask "
                 "the administrator.");
    case CB_EIO:
        return _("Reading or writing a file failed: try again, and ask the administrator if it "
                 "happens again.");
    case CB_EINTERNAL:
        return _("Something went wrong inside the program: ask the administrator.");
    case CB_ENOTFOUND:
        return _("Something the program looked up does not exist (any more).");
    case CB_ETAMPER:
        return _("The consent registry was changed outside consentblur (it does not match its "
                 "audit log), so nothing was processed: ask the privacy officer to run "
                 "`consentblur audit verify`.");
    case CB_I18N_SYMLINK:
        return _("A shortcut (symbolic link) is not followed; put the file itself in the "
                 "folder.");
    case CB_I18N_NOT_REGULAR:
        return _("This is not an ordinary file (a folder, for instance): only photos and "
                 "videos are processed.");
    case -ENOENT:
        return _("The file was not found: it may have been moved or removed.");
    case -ENOSPC:
    case -EDQUOT:
        return _("The disk is full: make room and try again.");
    case -EACCES:
    case -EPERM:
        return _("The program is not allowed to read or write this file or folder (access "
                 "rights): ask the administrator.");
    case -EROFS:
        return _("The folder cannot be written to (read-only): ask the administrator.");
    case -EISDIR:
        return _("This is a folder, not a file.");
    case -ENAMETOOLONG:
        return _("The name of the file or folder is too long: use a shorter one.");
    default:
        return _("This file could not be processed.");
    }
}
