/*
 * decide.h - the consent policy for one recognised person: may their face be
 * shown for this purpose on this date? Pure logic over the registry's
 * records (no I/O), so every rule is unit-tested on its own.
 *
 * The rules (DESIGN.md, "The policy"), all of which must hold to keep a face:
 *  - the newest consent record for the purpose is `granted` (not refused,
 *    not withdrawn; a withdrawal counts whatever the run's date);
 *  - the run's date lies in the record's validity window (valid_from, or
 *    the recording date when empty, through valid_until when set);
 *  - it was given by the right party: staff and adults themselves; a pupil
 *    (or other minor) by a guardian until guardian_until_age (the guardian's
 *    consent stops counting on that birthday), by themselves from
 *    self_from_age. A pupil without a birth date cannot be placed, so only
 *    a consent valid at every age would do, and none is: redacted.
 * Everything else is redacted with a reason a person can act on.
 */
#ifndef CB_DECIDE_H
#define CB_DECIDE_H

#include <stddef.h>

#include "registry.h"

/* Why a face was kept or redacted. Stable names: cb_reason_name. */
typedef enum cb_reason {
    CB_REASON_CONSENT = 0,      /* kept: recognised, valid consent for the purpose */
    CB_REASON_REDACT_ALL,       /* no registry in use: every face is redacted */
    CB_REASON_NOT_RECOGNISABLE, /* no landmarks / could not be aligned or embedded */
    CB_REASON_UNKNOWN,          /* no enrolled person close enough */
    CB_REASON_LOW_MARGIN,       /* two enrolled people too alike to tell apart */
    CB_REASON_NO_CONSENT,       /* recognised; no record for this purpose */
    CB_REASON_REFUSED,          /* recognised; consent refused */
    CB_REASON_WITHDRAWN,        /* recognised; consent withdrawn */
    CB_REASON_NOT_YET_VALID,    /* recognised; consent starts later */
    CB_REASON_EXPIRED,          /* recognised; consent ended */
    CB_REASON_GUARDIAN_AFTER_AGE, /* guardian's consent, pupil now too old for it */
    CB_REASON_SELF_UNDER_AGE,   /* own consent, pupil too young to give it */
    CB_REASON_WRONG_PARTY,      /* e.g. staff consent given by someone else */
    CB_REASON_NO_BIRTH_DATE,    /* minor status unknown: age rules cannot be applied */
    CB_REASON_TRACK_DISAGREES   /* video: the frames of a track name different people */
} cb_reason;

/* What a reason is: one entry per cb_reason in one table (consent/decide.c). */
typedef struct cb_reason_def {
    cb_reason reason;
    const char *name;   /* short stable name, e.g. "withdrawn" (JSON, reports) */
    const char *label;  /* for people, marked NC_("reason", name) (common/i18n.h) */
    int consent_failed; /* 1: a recognised person whose consent does not hold; 0: kept,
                           or nobody recognised for sure (unknown, low margin ...) */
} cb_reason_def;

/* The definition of reason; NULL for a value outside cb_reason. Static storage. */
const cb_reason_def *cb_reason_def_of(cb_reason reason);

/* Short stable name, e.g. "unknown", "withdrawn" (JSON and reports);
 * "unknown" for a value outside cb_reason. */
const char *cb_reason_name(cb_reason reason);

/* The reason in the reader's language (common/i18n.h), for lines such as
 * `check`'s; in English its name. */
const char *cb_reason_label(cb_reason reason);

/* cb_reason_def_of(reason)->consent_failed; 0 for a value outside cb_reason. */
int cb_reason_consent_failed(cb_reason reason);

typedef struct cb_policy {
    char purpose[32];           /* the channel the output is for */
    char date[11];              /* the run's date, "YYYY-MM-DD" */
    int guardian_until_age;     /* 0: a guardian's consent never stops counting */
    int self_from_age;          /* a minor's own consent counts from this age */
} cb_policy;

/*
 * Judge one recognised person. `current` is the newest consent record of
 * the person for policy->purpose, or NULL when there is none. Returns 1 to
 * keep the face visible (reason CB_REASON_CONSENT), 0 to redact it, with
 * *reason set and a one-line explanation in detail (may be NULL), such as
 * "P1007's consent for social withdrawn on 2026-11-02", in the language the
 * program chose (common/i18n.h; English when it chose none).
 */
int cb_decide(const cb_policy *policy, const cb_person *person, const cb_consent *current,
              cb_reason *reason, char *detail, size_t detail_size);

#endif
