/* decide.c - the consent policy for one recognised person; see decide.h. */
#include "decide.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/cb_date.h"
#include "../common/i18n.h"

const char *cb_reason_name(cb_reason reason)
{
    switch (reason) {
    case CB_REASON_CONSENT: return "consent";
    case CB_REASON_REDACT_ALL: return "redact-all";
    case CB_REASON_NOT_RECOGNISABLE: return "not-recognisable";
    case CB_REASON_UNKNOWN: return "unknown";
    case CB_REASON_LOW_MARGIN: return "low-margin";
    case CB_REASON_NO_CONSENT: return "no-consent";
    case CB_REASON_REFUSED: return "refused";
    case CB_REASON_WITHDRAWN: return "withdrawn";
    case CB_REASON_NOT_YET_VALID: return "not-yet-valid";
    case CB_REASON_EXPIRED: return "expired";
    case CB_REASON_GUARDIAN_AFTER_AGE: return "guardian-consent-after-age";
    case CB_REASON_SELF_UNDER_AGE: return "own-consent-under-age";
    case CB_REASON_WRONG_PARTY: return "wrong-party";
    case CB_REASON_NO_BIRTH_DATE: return "no-birth-date";
    case CB_REASON_TRACK_DISAGREES: return "track-disagrees";
    }
    return "unknown";
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
