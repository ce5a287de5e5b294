/* decide.c - the consent policy for one recognised person; see decide.h. */
#include "decide.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/cb_date.h"
#include "../common/i18n.h"

/* Indexed by cb_reason. */
static const cb_reason_def reasons[] = {
    /* TRANSLATORS: why a face may not be shown, in `check` lines:
       "photo.jpg: face at 10,20 (50x60): REASON: detail". */
    {CB_REASON_CONSENT, "consent", NC_("reason", "consent"), 0},
    {CB_REASON_REDACT_ALL, "redact-all", NC_("reason", "redact-all"), 0},
    {CB_REASON_NOT_RECOGNISABLE, "not-recognisable", NC_("reason", "not-recognisable"), 0},
    {CB_REASON_UNKNOWN, "unknown", NC_("reason", "unknown"), 0},
    {CB_REASON_LOW_MARGIN, "low-margin", NC_("reason", "low-margin"), 0},
    {CB_REASON_NO_CONSENT, "no-consent", NC_("reason", "no-consent"), 1},
    {CB_REASON_REFUSED, "refused", NC_("reason", "refused"), 1},
    {CB_REASON_WITHDRAWN, "withdrawn", NC_("reason", "withdrawn"), 1},
    {CB_REASON_NOT_YET_VALID, "not-yet-valid", NC_("reason", "not-yet-valid"), 1},
    {CB_REASON_EXPIRED, "expired", NC_("reason", "expired"), 1},
    {CB_REASON_GUARDIAN_AFTER_AGE, "guardian-consent-after-age",
     NC_("reason", "guardian-consent-after-age"), 1},
    {CB_REASON_SELF_UNDER_AGE, "own-consent-under-age", NC_("reason", "own-consent-under-age"),
     1},
    {CB_REASON_WRONG_PARTY, "wrong-party", NC_("reason", "wrong-party"), 1},
    {CB_REASON_NO_BIRTH_DATE, "no-birth-date", NC_("reason", "no-birth-date"), 1},
    {CB_REASON_TRACK_DISAGREES, "track-disagrees", NC_("reason", "track-disagrees"), 0},
};

const cb_reason_def *cb_reason_def_of(cb_reason reason)
{
    if ((unsigned)reason >= sizeof reasons / sizeof reasons[0])
        return NULL;
    return &reasons[reason];
}

const char *cb_reason_name(cb_reason reason)
{
    const cb_reason_def *d = cb_reason_def_of(reason);
    return d ? d->name : "unknown";
}

const char *cb_reason_label(cb_reason reason)
{
    const cb_reason_def *d = cb_reason_def_of(reason);
    return d ? cb_i18n_pgettext_marked(d->label) : cb_reason_name(reason);
}

int cb_reason_consent_failed(cb_reason reason)
{
    const cb_reason_def *d = cb_reason_def_of(reason);
    return d && d->consent_failed;
}

static int verdict(cb_reason *reason, cb_reason r, char *detail, size_t size, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));

static int verdict(cb_reason *reason, cb_reason r, char *detail, size_t size, const char *fmt,
                   ...)
{
    *reason = r;
    if (detail && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, size, fmt, ap);
        va_end(ap);
    }
    return r == CB_REASON_CONSENT;
}

/* The first 10 characters (the date) of a timestamp, into out. */
static void date_of(const char *timestamp, char out[11])
{
    snprintf(out, 11, "%.10s", timestamp);
}

/*
 * Who may consent for this person on this date: checks the record's
 * given_by against the person's role and age. Returns 1 when right, else 0
 * with the reason filled.
 */
static int right_party(const cb_policy *p, const cb_person *person, const cb_consent *c,
                       cb_reason *reason, char *detail, size_t size)
{
    const char *who = person->external_id;
    const int minor_possible = person->role != CB_ROLE_STAFF;
    if (!minor_possible) {
        if (c->given_by == CB_GIVEN_BY_SELF)
            return 1;
        return verdict(reason, CB_REASON_WRONG_PARTY, detail, size,
                       _("%s is staff: consent must be given by themselves, this one was "
                         "given by a guardian"),
                       who);
    }
    if (!person->birth_date[0]) {
        if (person->role == CB_ROLE_OTHER && c->given_by == CB_GIVEN_BY_SELF)
            return 1; /* others are taken as adults unless a birth date says otherwise */
        return verdict(reason, CB_REASON_NO_BIRTH_DATE, detail, size,
                       c->given_by == CB_GIVEN_BY_SELF
                           ? _("%s has no birth date: cannot tell whether their own consent "
                               "counts")
                           : _("%s has no birth date: cannot tell whether a guardian's consent "
                               "counts"),
                       who);
    }
    int age = cb_date_age_on(person->birth_date, p->date);
    if (age < 0)
        return verdict(reason, CB_REASON_NO_BIRTH_DATE, detail, size,
                       _("%s: birth date %s is after the run date %s"), who,
                       person->birth_date, p->date);
    if (c->given_by == CB_GIVEN_BY_GUARDIAN) {
        if (p->guardian_until_age <= 0 || age < p->guardian_until_age)
            return 1;
        char birthday[11] = "";
        cb_date_add_years(person->birth_date, p->guardian_until_age, birthday);
        return verdict(reason, CB_REASON_GUARDIAN_AFTER_AGE, detail, size,
                       _("%s turned %d on %s: a guardian's consent no longer counts"), who,
                       p->guardian_until_age, birthday);
    }
    if (age >= p->self_from_age)
        return 1;
    return verdict(reason, CB_REASON_SELF_UNDER_AGE, detail, size,
                   _("%s is %d: their own consent counts only from %d, a guardian must "
                     "consent"),
                   who, age, p->self_from_age);
}

int cb_decide(const cb_policy *p, const cb_person *person, const cb_consent *c, cb_reason *reason,
              char *detail, size_t size)
{
    const char *who = person->external_id;
    if (!c)
        return verdict(reason, CB_REASON_NO_CONSENT, detail, size,
                       _("%s has no consent record for %s"), who, p->purpose);
    if (c->status == CB_CONSENT_REFUSED)
        return verdict(reason, CB_REASON_REFUSED, detail, size, _("%s refused consent for %s"),
                       who, p->purpose);
    if (c->status == CB_CONSENT_WITHDRAWN) {
        char day[11];
        date_of(c->withdrawn_at, day);
        return verdict(reason, CB_REASON_WITHDRAWN, detail, size,
                       _("%s's consent for %s withdrawn on %s"), who, p->purpose, day);
    }
    if (c->status != CB_CONSENT_GRANTED)
        return verdict(reason, CB_REASON_NO_CONSENT, detail, size,
                       _("%s: consent record %lld has an unknown status"), who,
                       (long long)c->id);
    char from[11];
    if (c->valid_from[0])
        snprintf(from, sizeof from, "%s", c->valid_from);
    else
        date_of(c->recorded_at, from);
    if (!cb_date_valid(p->date) || !cb_date_valid(from))
        return verdict(reason, CB_REASON_NOT_YET_VALID, detail, size,
                       _("%s: cannot compare the run date %s with the consent's start %s"), who,
                       p->date, from);
    if (strcmp(p->date, from) < 0)
        return verdict(reason, CB_REASON_NOT_YET_VALID, detail, size,
                       _("%s's consent for %s starts on %s"), who, p->purpose, from);
    if (c->valid_until[0] && strcmp(p->date, c->valid_until) > 0)
        return verdict(reason, CB_REASON_EXPIRED, detail, size,
                       _("%s's consent for %s expired on %s"), who, p->purpose,
                       c->valid_until);
    if (!right_party(p, person, c, reason, detail, size))
        return 0;
    return verdict(reason, CB_REASON_CONSENT, detail, size, _("%s (%s) consented to %s"), who,
                   person->name, p->purpose);
}
