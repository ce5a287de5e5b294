/*
 * replay.h - what the registry's tables should hold according to its audit
 * log, and how they differ from what they do hold: the rules, as pure
 * functions over rows already read (consent/integrity.c reads them from the
 * file; tests/test_replay.c tries each rule). No sqlite, no I/O, no state.
 *
 * The log explains a table row when replaying the log's rows in order gives
 * that row: person.add / person.update / person.remove for people,
 * consent.grant / consent.refuse / consent.withdraw for consents,
 * template.add / template.erase for the number of templates per person,
 * registry.migrate (a new registry's five purposes) / purpose.add for
 * purposes, setting.set for settings. Other actions change nothing here.
 *
 * Names, birth dates and a signer's name never go into the log. The log
 * keeps a digest of them instead: SHA-256 over a random salt stored in the
 * row itself and the fields (see cb_replay_digest), so a changed name is
 * detected while the log alone reveals nothing, and once the row is erased
 * the digest cannot be tested against guesses. Rows written before the log
 * kept digests (and withdrawal times) are checked on what their log rows do
 * carry and counted as "not replayable" in full: that is not tampering.
 *
 * Findings are collected into a cb_findings; cb_finding_text says one in
 * words (translated). Every function here is thread-safe.
 */
#ifndef CB_REPLAY_H
#define CB_REPLAY_H

#include <stddef.h>
#include <stdint.h>

/* Which optional fields an event carried / a replayed row is known by. */
enum {
    CB_REPLAY_HAS_NUM = 1,          /* event: the number (id, consent_id, from, new) */
    CB_REPLAY_HAS_ROLE = 2,         /* event and person: the role */
    CB_REPLAY_HAS_DIGEST = 4,       /* event, person, consent: the digest */
    CB_REPLAY_HAS_WITHDRAWN_AT = 8  /* event and consent: when it was withdrawn */
};

/* One audit row with what replaying needs from its details (JSON). */
typedef struct cb_replay_event {
    int64_t id;
    char actor[64];
    char action[32];
    char subject[64];          /* the person's external id, "" for the rest */
    int64_t num;               /* person.*: "id"; consent.*: "consent_id";
                                  registry.migrate: "from"; setting.set: "new" */
    char purpose[32];          /* consent.grant/refuse/withdraw, purpose.add */
    char given_by[16], valid_from[11], valid_until[11], evidence_sha256[65];
    char role[16];             /* person.add, person.update */
    char key[48];              /* setting.set */
    char digest[65];           /* person.add/update, consent.grant/refuse */
    char withdrawn_at[21];     /* consent.withdraw */
    unsigned has;              /* CB_REPLAY_HAS_* */
} cb_replay_event;

/* A person as the log says (want) or as the table holds (have). */
typedef struct cb_replay_person {
    int live;                  /* want: the log says the person exists now */
    int64_t id;
    char external_id[64];
    char role[16];
    char digest[65];           /* over name, birth date and group; have: "" without salt */
    int templates;
    unsigned known;            /* want: CB_REPLAY_HAS_ROLE | CB_REPLAY_HAS_DIGEST */
} cb_replay_person;

/* A consent record as the log says (want) or as the table holds (have). */
typedef struct cb_replay_consent {
    int64_t id, person_id;
    char purpose[32], status[16], given_by[16], valid_from[11], valid_until[11];
    char evidence_sha256[65], recorded_by[64], withdrawn_at[21], withdrawn_by[64];
    char digest[65];           /* over signer, evidence reference, recording time */
    unsigned known;            /* want: CB_REPLAY_HAS_DIGEST | CB_REPLAY_HAS_WITHDRAWN_AT */
} cb_replay_consent;

/* The log's word on one subject (person): the person, their records. */
typedef struct cb_replay_subject {
    cb_replay_person person;
    cb_replay_consent *consents; /* malloc'd; records the log says exist now */
    int n_consents, cap;
} cb_replay_subject;

/* The log's word on the rows of no person. */
typedef struct cb_replay_globals {
    char (*purposes)[32];      /* malloc'd */
    int n_purposes, cap_purposes;
    struct cb_replay_setting {
        char key[48];
        int64_t value;
    } settings[8];             /* the settings set at least once, latest value */
    int n_settings;
} cb_replay_globals;

typedef enum cb_finding_kind {
    CB_FIND_ROW_HASH,        /* key: audit row id; its hash or link does not match */
    CB_FIND_HEAD_LOST,       /* key: run id, have: the ID:HASH it recorded, no longer held */
    CB_FIND_EXPECT_LOST,     /* have: the ID:HASH given to check, no longer held */
    CB_FIND_TRIGGER_MISSING, /* key: trigger name */
    CB_FIND_TRIGGER_CHANGED,
    CB_FIND_TRIGGER_EXTRA,
    CB_FIND_UNEXPLAINED,     /* table, key: a row the log does not explain */
    CB_FIND_MISSING,         /* table, key: a row the log says exists */
    CB_FIND_DIFFERS,         /* table, key, field: have vs want */
    CB_FIND_DIGEST           /* table, key: a field kept as a digest differs */
} cb_finding_kind;

typedef struct cb_finding {
    cb_finding_kind kind;
    char table[16];
    char key[112];
    char field[24];
    char have[72], want[72];
} cb_finding;

#define CB_FINDINGS_KEPT 200 /* findings stored; more are only counted */

typedef struct cb_findings {
    cb_finding *list;        /* malloc'd, the first CB_FINDINGS_KEPT */
    int n_kept, cap;
    int64_t total;           /* every finding: > 0 means the tables or log were tampered with */
    int64_t not_replayable;  /* rows checked only in part (written before digests) */
    int out_of_memory;       /* a finding could not be stored (still counted) */
} cb_findings;

/* Add a finding (strings may be NULL: ""); counted always, kept while
 * fewer than CB_FINDINGS_KEPT. */
void cb_findings_add(cb_findings *f, cb_finding_kind kind, const char *table, const char *key,
                     const char *field, const char *have, const char *want);
/* Free the list and zero *f. Accepts NULL. */
void cb_findings_free(cb_findings *f);

/* The finding in one line of words (translated), into out. */
void cb_finding_text(const cb_finding *f, char *out, size_t size);

/*
 * Hex SHA-256 of salt and the n fields, each written as "\n", its length
 * in bytes (decimal), ":", its bytes (as the audit chain hashes fields).
 * People: name, birth date, group. Consents: signer's name, evidence
 * reference, recorded_at. An empty salt gives "" (no digest: older rows).
 */
void cb_replay_digest(const char *salt, const char *const *fields, int n, char out[65]);

/*
 * Replay the n events of one subject (their audit rows, oldest first) into
 * *out (zeroed first; free with cb_replay_subject_free). Returns 0, or -1
 * when out of memory (*out freed).
 */
int cb_replay_subject_run(const cb_replay_event *ev, int n, cb_replay_subject *out);
void cb_replay_subject_free(cb_replay_subject *s);

/*
 * Compare the log's word on a subject (want) with the table: the person's
 * row (have_person NULL: none), its n_have consent records (any order) and
 * its template count (in have_person). Findings go to f, keyed by external
 * id and by "ID (EXTERNAL_ID, PURPOSE)" for consents.
 */
void cb_replay_compare_subject(const cb_replay_subject *want, const cb_replay_person *have_person,
                               const cb_replay_consent *have, int n_have, cb_findings *f);

/* Replay the events of no person (subject "") into *out (free with
 * cb_replay_globals_free). Returns 0 or -1 (out of memory). */
int cb_replay_globals_run(const cb_replay_event *ev, int n, cb_replay_globals *out);
void cb_replay_globals_free(cb_replay_globals *g);

/* Compare with the purposes table (n names) and the settings table (n
 * key/value text pairs). */
void cb_replay_compare_globals(const cb_replay_globals *want, const char (*purposes)[32],
                               int n_purposes, const char (*settings)[2][48], int n_settings,
                               cb_findings *f);

#endif
