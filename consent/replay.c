/* replay.c - the tables as the audit log says they should be; see replay.h. */
#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/i18n.h"
#include "../common/sha256.h"

/* ---- findings ------------------------------------------------------------------ */

static void copy(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

void cb_findings_add(cb_findings *f, cb_finding_kind kind, const char *table, const char *key,
                     const char *field, const char *have, const char *want)
{
    f->total++;
    if (f->n_kept >= CB_FINDINGS_KEPT)
        return;
    if (f->n_kept == f->cap) {
        int cap = f->cap ? f->cap * 2 : 16;
        cb_finding *l = realloc(f->list, (size_t)cap * sizeof *l);
        if (!l) {
            f->out_of_memory = 1;
            return;
        }
        f->list = l;
        f->cap = cap;
    }
    cb_finding *x = &f->list[f->n_kept++];
    x->kind = kind;
    copy(x->table, sizeof x->table, table);
    copy(x->key, sizeof x->key, key);
    copy(x->field, sizeof x->field, field);
    copy(x->have, sizeof x->have, have);
    copy(x->want, sizeof x->want, want);
}

void cb_findings_free(cb_findings *f)
{
    if (!f)
        return;
    free(f->list);
    memset(f, 0, sizeof *f);
}

void cb_finding_text(const cb_finding *f, char *out, size_t size)
{
    const char *t = f->table, *k = f->key;
    switch (f->kind) {
    case CB_FIND_ROW_HASH:
        snprintf(out, size, _("audit row %s: its hash or its link to the next row does not "
                              "match (the row was edited)"), k);
        break;
    case CB_FIND_HEAD_LOST:
        snprintf(out, size, _("runs %s: judged against audit head %s, which the log no longer "
                              "holds (rows cut off or replaced)"), k, f->have);
        break;
    case CB_FIND_EXPECT_LOST:
        snprintf(out, size, _("the audit head %s given to check is no longer in the log (rows "
                              "cut off or replaced)"), f->have);
        break;
    case CB_FIND_TRIGGER_MISSING:
        snprintf(out, size, _("schema: trigger %s is missing"), k);
        break;
    case CB_FIND_TRIGGER_CHANGED:
        snprintf(out, size, _("schema: trigger %s differs from the schema's"), k);
        break;
    case CB_FIND_TRIGGER_EXTRA:
        snprintf(out, size, _("schema: trigger %s is not part of the schema"), k);
        break;
    case CB_FIND_UNEXPLAINED:
        snprintf(out, size, _("%s %s: not explained by the audit log"), t, k);
        break;
    case CB_FIND_MISSING:
        snprintf(out, size, _("%s %s: in the audit log, missing from the table"), t, k);
        break;
    case CB_FIND_DIFFERS:
        snprintf(out, size, _("%s %s: %s is '%s', the audit log says '%s'"), t, k, f->field,
                 f->have, f->want);
        break;
    case CB_FIND_DIGEST:
        snprintf(out, size, _("%s %s: %s differ from what the audit log holds (as a digest)"),
                 t, k, !strcmp(t, "people") ? _("name, birth date or group")
                                            : _("signer, evidence reference or recording time"));
        break;
    default:
        snprintf(out, size, "%s %s", t, k);
    }
}

/* ---- digests -------------------------------------------------------------------- */

void cb_replay_digest(const char *salt, const char *const *fields, int n, char out[65])
{
    cb_sha256_ctx c;
    uint8_t d[32];
    out[0] = '\0';
    if (!salt || !*salt)
        return;
    cb_sha256_init(&c);
    cb_sha256_update(&c, salt, strlen(salt));
    for (int i = 0; i < n; i++) {
        char prefix[32];
        size_t len = strlen(fields[i]);
        int m = snprintf(prefix, sizeof prefix, "\n%zu:", len);
        cb_sha256_update(&c, prefix, (size_t)m);
        cb_sha256_update(&c, fields[i], len);
    }
    cb_sha256_final(&c, d);
    cb_sha256_hex(d, out);
}

/* ---- one subject ----------------------------------------------------------------- */

static cb_replay_consent *find_consent(cb_replay_subject *s, int64_t id)
{
    for (int i = 0; i < s->n_consents; i++)
        if (s->consents[i].id == id)
            return &s->consents[i];
    return NULL;
}

static int add_consent(cb_replay_subject *s, const cb_replay_event *e)
{
    cb_replay_consent *c = find_consent(s, e->num);
    if (!c) {
        if (s->n_consents == s->cap) {
            int cap = s->cap ? s->cap * 2 : 8;
            cb_replay_consent *l = realloc(s->consents, (size_t)cap * sizeof *l);
            if (!l)
                return -1;
            s->consents = l;
            s->cap = cap;
        }
        c = &s->consents[s->n_consents++];
    }
    memset(c, 0, sizeof *c);
    c->id = e->num;
    c->person_id = s->person.id;
    copy(c->purpose, sizeof c->purpose, e->purpose);
    copy(c->status, sizeof c->status, strcmp(e->action, "consent.grant") ? "refused" : "granted");
    copy(c->given_by, sizeof c->given_by, e->given_by);
    copy(c->valid_from, sizeof c->valid_from, e->valid_from);
    copy(c->valid_until, sizeof c->valid_until, e->valid_until);
    copy(c->evidence_sha256, sizeof c->evidence_sha256, e->evidence_sha256);
    copy(c->recorded_by, sizeof c->recorded_by, e->actor);
    copy(c->digest, sizeof c->digest, e->digest);
    c->known = e->has & CB_REPLAY_HAS_DIGEST;
    return 0;
}

static void withdraw(cb_replay_subject *s, const cb_replay_event *e)
{
    cb_replay_consent *c = find_consent(s, e->num);
    if (!c)
        return; /* a record the log never granted: nothing to change */
    copy(c->status, sizeof c->status, "withdrawn");
    copy(c->withdrawn_by, sizeof c->withdrawn_by, e->actor);
    copy(c->withdrawn_at, sizeof c->withdrawn_at, e->withdrawn_at);
    c->known = (c->known & ~(unsigned)CB_REPLAY_HAS_WITHDRAWN_AT) |
               (e->has & CB_REPLAY_HAS_WITHDRAWN_AT);
}

/* person.add and person.update: what the row says now. */
static void person_event(cb_replay_person *p, const cb_replay_event *e, int add)
{
    if (add) {
        memset(p, 0, sizeof *p);
        p->live = 1;
        p->id = e->num;
        copy(p->external_id, sizeof p->external_id, e->subject);
        p->known = CB_REPLAY_HAS_ROLE | CB_REPLAY_HAS_DIGEST;
    }
    /* An older update row says which fields changed, not to what. */
    p->known &= e->has & (CB_REPLAY_HAS_ROLE | CB_REPLAY_HAS_DIGEST);
    copy(p->role, sizeof p->role, e->role);
    copy(p->digest, sizeof p->digest, e->digest);
}

static int apply_event(cb_replay_subject *s, const cb_replay_event *e)
{
    const char *a = e->action;
    if (!strcmp(a, "person.add") || !strcmp(a, "person.update")) {
        if (!strcmp(a, "person.add"))
            s->n_consents = 0;
        person_event(&s->person, e, !strcmp(a, "person.add"));
    } else if (!strcmp(a, "person.remove")) {
        s->person.live = 0;
        s->person.templates = 0;
        s->n_consents = 0;
    } else if (!strcmp(a, "consent.grant") || !strcmp(a, "consent.refuse")) {
        return add_consent(s, e);
    } else if (!strcmp(a, "consent.withdraw")) {
        withdraw(s, e);
    } else if (!strcmp(a, "template.add")) {
        s->person.templates++;
    } else if (!strcmp(a, "template.erase")) {
        s->person.templates = 0;
    }
    return 0;
}

int cb_replay_subject_run(const cb_replay_event *ev, int n, cb_replay_subject *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < n; i++) {
        if (apply_event(out, &ev[i]) < 0) {
            cb_replay_subject_free(out);
            return -1;
        }
    }
    return 0;
}

void cb_replay_subject_free(cb_replay_subject *s)
{
    if (!s)
        return;
    free(s->consents);
    memset(s, 0, sizeof *s);
}

/* ---- comparing one subject ---------------------------------------------------------- */

/* The text fields of a consent record compared one by one; `needs`: the
 * known flag without which the log cannot say (0: always known). */
static const struct consent_field {
    const char *name;
    size_t offset, size;
    unsigned needs;
} consent_fields[] = {
#define FIELD(f, needs)                                                                        \
    {#f, offsetof(cb_replay_consent, f), sizeof((cb_replay_consent *)0)->f, needs}
    FIELD(purpose, 0),
    FIELD(status, 0),
    FIELD(given_by, 0),
    FIELD(valid_from, 0),
    FIELD(valid_until, 0),
    FIELD(evidence_sha256, 0),
    FIELD(recorded_by, 0),
    FIELD(withdrawn_at, CB_REPLAY_HAS_WITHDRAWN_AT),
    FIELD(withdrawn_by, 0),
#undef FIELD
};

static void consent_key(const cb_replay_consent *c, const char *external_id, char *out,
                        size_t size)
{
    snprintf(out, size, "%lld (%s, %s)", (long long)c->id, external_id, c->purpose);
}

static void compare_consent(const cb_replay_consent *want, const cb_replay_consent *have,
                            const char *key, cb_findings *f)
{
    char a[24], b[24];
    if (want->person_id != have->person_id) {
        snprintf(a, sizeof a, "%lld", (long long)have->person_id);
        snprintf(b, sizeof b, "%lld", (long long)want->person_id);
        cb_findings_add(f, CB_FIND_DIFFERS, "consents", key, "person_id", a, b);
    }
    for (size_t i = 0; i < sizeof consent_fields / sizeof *consent_fields; i++) {
        const struct consent_field *d = &consent_fields[i];
        const char *w = (const char *)want + d->offset, *h = (const char *)have + d->offset;
        if ((d->needs & ~want->known) == 0 && strncmp(w, h, d->size) != 0)
            cb_findings_add(f, CB_FIND_DIFFERS, "consents", key, d->name, h, w);
    }
    const int withdrawn = !strcmp(want->status, "withdrawn");
    if (!(want->known & CB_REPLAY_HAS_DIGEST) ||
        (withdrawn && !(want->known & CB_REPLAY_HAS_WITHDRAWN_AT)))
        f->not_replayable++;
    if ((want->known & CB_REPLAY_HAS_DIGEST) && strcmp(want->digest, have->digest) != 0)
        cb_findings_add(f, CB_FIND_DIGEST, "consents", key, NULL, NULL, NULL);
}

static void compare_person(const cb_replay_person *want, const cb_replay_person *have,
                           cb_findings *f)
{
    char a[24], b[24];
    const char *key = want->external_id;
    if (want->id != have->id) {
        snprintf(a, sizeof a, "%lld", (long long)have->id);
        snprintf(b, sizeof b, "%lld", (long long)want->id);
        cb_findings_add(f, CB_FIND_DIFFERS, "people", key, "id", a, b);
    }
    if ((want->known & CB_REPLAY_HAS_ROLE) && strcmp(want->role, have->role) != 0)
        cb_findings_add(f, CB_FIND_DIFFERS, "people", key, "role", have->role, want->role);
    if (!(want->known & CB_REPLAY_HAS_DIGEST) || !(want->known & CB_REPLAY_HAS_ROLE))
        f->not_replayable++;
    else if (strcmp(want->digest, have->digest) != 0)
        cb_findings_add(f, CB_FIND_DIGEST, "people", key, NULL, NULL, NULL);
    if (want->templates != have->templates) {
        snprintf(a, sizeof a, "%d", have->templates);
        snprintf(b, sizeof b, "%d", want->templates);
        cb_findings_add(f, CB_FIND_DIFFERS, "templates", key, "count", a, b);
    }
}

void cb_replay_compare_subject(const cb_replay_subject *want, const cb_replay_person *have_person,
                               const cb_replay_consent *have, int n_have, cb_findings *f)
{
    const char *ext = want->person.live ? want->person.external_id
                      : have_person     ? have_person->external_id
                                        : "";
    char key[112];
    if (want->person.live && have_person)
        compare_person(&want->person, have_person, f);
    else if (want->person.live)
        cb_findings_add(f, CB_FIND_MISSING, "people", ext, NULL, NULL, NULL);
    else if (have_person)
        cb_findings_add(f, CB_FIND_UNEXPLAINED, "people", ext, NULL, NULL, NULL);
    if (!want->person.live && have_person && have_person->templates > 0)
        cb_findings_add(f, CB_FIND_UNEXPLAINED, "templates", ext, NULL, NULL, NULL);
    for (int i = 0; i < want->n_consents; i++) {
        const cb_replay_consent *w = &want->consents[i];
        const cb_replay_consent *h = NULL;
        for (int j = 0; j < n_have && !h; j++)
            if (have[j].id == w->id)
                h = &have[j];
        consent_key(w, ext, key, sizeof key);
        if (h)
            compare_consent(w, h, key, f);
        else
            cb_findings_add(f, CB_FIND_MISSING, "consents", key, NULL, NULL, NULL);
    }
    for (int j = 0; j < n_have; j++) {
        int known = 0;
        for (int i = 0; i < want->n_consents && !known; i++)
            known = want->consents[i].id == have[j].id;
        if (!known) {
            consent_key(&have[j], ext, key, sizeof key);
            cb_findings_add(f, CB_FIND_UNEXPLAINED, "consents", key, NULL, NULL, NULL);
        }
    }
}

/* ---- the rows of no person ------------------------------------------------------------ */

/* What schema version 1 puts into a new registry's purposes table. */
static const char *const first_purposes[] = {"social", "website", "newsletter", "print",
                                             "internal"};

static int add_purpose(cb_replay_globals *g, const char *name)
{
    for (int i = 0; i < g->n_purposes; i++)
        if (!strcmp(g->purposes[i], name))
            return 0;
    if (g->n_purposes == g->cap_purposes) {
        int cap = g->cap_purposes ? g->cap_purposes * 2 : 8;
        char (*l)[32] = realloc(g->purposes, (size_t)cap * sizeof *l);
        if (!l)
            return -1;
        g->purposes = l;
        g->cap_purposes = cap;
    }
    copy(g->purposes[g->n_purposes++], 32, name);
    return 0;
}

static void set_setting(cb_replay_globals *g, const cb_replay_event *e)
{
    int i = 0;
    while (i < g->n_settings && strcmp(g->settings[i].key, e->key) != 0)
        i++;
    if (i == g->n_settings) {
        if (g->n_settings == (int)(sizeof g->settings / sizeof g->settings[0]))
            return; /* more keys than the registry knows: not one of ours */
        g->n_settings++;
        copy(g->settings[i].key, sizeof g->settings[i].key, e->key);
    }
    g->settings[i].value = e->num;
}

int cb_replay_globals_run(const cb_replay_event *ev, int n, cb_replay_globals *out)
{
    memset(out, 0, sizeof *out);
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        const cb_replay_event *e = &ev[i];
        if (!strcmp(e->action, "registry.migrate") && (e->has & CB_REPLAY_HAS_NUM) && e->num == 0)
            for (size_t k = 0; rc == 0 && k < sizeof first_purposes / sizeof *first_purposes; k++)
                rc = add_purpose(out, first_purposes[k]);
        else if (!strcmp(e->action, "purpose.add"))
            rc = add_purpose(out, e->purpose);
        else if (!strcmp(e->action, "setting.set") && (e->has & CB_REPLAY_HAS_NUM))
            set_setting(out, e);
    }
    if (rc < 0)
        cb_replay_globals_free(out);
    return rc;
}

void cb_replay_globals_free(cb_replay_globals *g)
{
    if (!g)
        return;
    free(g->purposes);
    memset(g, 0, sizeof *g);
}

static void compare_purposes(const cb_replay_globals *want, const char (*have)[32], int n_have,
                             cb_findings *f)
{
    for (int i = 0; i < want->n_purposes; i++) {
        int found = 0;
        for (int j = 0; j < n_have && !found; j++)
            found = !strcmp(want->purposes[i], have[j]);
        if (!found)
            cb_findings_add(f, CB_FIND_MISSING, "purposes", want->purposes[i], NULL, NULL, NULL);
    }
    for (int j = 0; j < n_have; j++) {
        int found = 0;
        for (int i = 0; i < want->n_purposes && !found; i++)
            found = !strcmp(want->purposes[i], have[j]);
        if (!found)
            cb_findings_add(f, CB_FIND_UNEXPLAINED, "purposes", have[j], NULL, NULL, NULL);
    }
}

void cb_replay_compare_globals(const cb_replay_globals *want, const char (*purposes)[32],
                               int n_purposes, const char (*settings)[2][48], int n_settings,
                               cb_findings *f)
{
    compare_purposes(want, purposes, n_purposes, f);
    for (int i = 0; i < want->n_settings; i++) {
        char value[24];
        const char *have = NULL;
        snprintf(value, sizeof value, "%lld", (long long)want->settings[i].value);
        for (int j = 0; j < n_settings && !have; j++)
            if (!strcmp(settings[j][0], want->settings[i].key))
                have = settings[j][1];
        if (!have)
            cb_findings_add(f, CB_FIND_MISSING, "settings", want->settings[i].key, NULL, NULL,
                            NULL);
        else if (strcmp(have, value) != 0)
            cb_findings_add(f, CB_FIND_DIFFERS, "settings", want->settings[i].key, "value", have,
                            value);
    }
    for (int j = 0; j < n_settings; j++) {
        int known = 0;
        for (int i = 0; i < want->n_settings && !known; i++)
            known = !strcmp(settings[j][0], want->settings[i].key);
        if (!known)
            cb_findings_add(f, CB_FIND_UNEXPLAINED, "settings", settings[j][0], NULL, NULL, NULL);
    }
}
