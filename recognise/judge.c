/* judge.c - recognise, match and apply the consent policy; see judge.h. */
#include "../common/i18n.h"
#include "judge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cb_date.h"
#include "../models/embedder.h"
#include "../consent/integrity.h"
#include "../consent/registry.h"

struct cb_judge {
    cb_judge_opts opts;
    cb_policy policy;
    cb_registry *registry;
    cb_embedder *embedder;
    cb_template *templates;
    int n_templates;
    cb_audit_head head; /* the registry's audit head at the last refresh */
};

void cb_judge_opts_default(cb_judge_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    cb_match_opts_default(&opts->match);
}

void cb_verdict_redact(cb_verdict *v, cb_reason reason, const char *detail)
{
    memset(v, 0, sizeof *v);
    v->keep = 0;
    v->reason = reason;
    v->distance = INFINITY;
    v->runner_up_distance = INFINITY;
    snprintf(v->detail, sizeof v->detail, "%s", detail ? detail : "");
}

/* Refuse a registry whose tables or triggers the audit log does not explain,
 * checked for the people whose templates are loaded: they are the ones a
 * face can be kept for. */
static int check_integrity(cb_judge *j, cb_error *err)
{
    cb_integrity_report rep;
    int64_t *ids = malloc(sizeof *ids * (size_t)(j->n_templates + 1));
    if (!ids)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    for (int i = 0; i < j->n_templates; i++)
        ids[i] = j->templates[i].person_id;
    int rc = cb_registry_integrity_quick(j->registry, ids, j->n_templates, &rep, err);
    free(ids);
    if (rc == 0 && cb_integrity_tampered(&rep)) {
        char what[256] = "";
        if (rep.findings.n_kept > 0)
            cb_finding_text(&rep.findings.list[0], what, sizeof what);
        rc = cb_error_set(err, CB_ETAMPER,
                          _("the consent registry does not match its audit log (%s): nothing is "
                            "judged on it; `consentblur audit verify` lists every difference"),
                          what);
    }
    cb_integrity_report_free(&rep);
    return rc;
}

int cb_judge_refresh(cb_judge *j, cb_error *err)
{
    /* The head first: whatever is read after it is at least this new. */
    int rc = cb_registry_audit_head(j->registry, &j->head, err);
    if (rc < 0)
        return rc;
    rc = cb_registry_setting_get_int(j->registry, "guardian_consent_until_age",
                                         &j->policy.guardian_until_age, err);
    if (rc == 0)
        rc = cb_registry_setting_get_int(j->registry, "self_consent_from_age",
                                         &j->policy.self_from_age, err);
    if (rc < 0)
        return rc;
    cb_template *t = NULL;
    int n = 0;
    rc = cb_registry_templates_load(j->registry, cb_embedder_model_id(j->embedder), &t, &n, err);
    if (rc < 0)
        return rc;
    cb_registry_templates_free(j->templates, j->n_templates);
    j->templates = t;
    j->n_templates = n;
    rc = check_integrity(j, err);
    if (rc < 0) {
        /* Nobody is recognised on a registry that failed the check. */
        cb_registry_templates_free(j->templates, j->n_templates);
        j->templates = NULL;
        j->n_templates = 0;
        return rc;
    }
    cb_log(j->opts.log, CB_LOG_DEBUG, "judge: %d template(s), purpose %s, date %s", n,
           j->policy.purpose, j->policy.date);
    return 0;
}

int cb_judge_open(const cb_judge_opts *opts, cb_judge **out, cb_error *err)
{
    *out = NULL;
    if (!opts->registry_path || !opts->registry_path[0])
        return cb_error_set(err, CB_EINVAL, "no consent registry given");
    if (!opts->purpose[0])
        return cb_error_set(err, CB_EINVAL, "no purpose given (--purpose)");
    if (opts->date[0] && !cb_date_valid(opts->date))
        return cb_error_set(err, CB_EINVAL, "bad date '%s' (expected YYYY-MM-DD)", opts->date);
    cb_judge *j = calloc(1, sizeof *j);
    if (!j)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    j->opts = *opts;
    j->opts.registry_path = NULL; /* not kept: the caller's string may go away */
    j->opts.model_dir = NULL;
    snprintf(j->policy.purpose, sizeof j->policy.purpose, "%s", opts->purpose);
    if (opts->date[0])
        snprintf(j->policy.date, sizeof j->policy.date, "%s", opts->date);
    else
        cb_date_today(j->policy.date);

    int known = 0;
    int rc = cb_registry_open(opts->registry_path, CB_REGISTRY_READONLY, &j->registry, err);
    if (rc == 0)
        rc = cb_registry_purpose_exists(j->registry, opts->purpose, &known, err);
    if (rc == 0 && !known)
        rc = cb_error_set(err, CB_EINVAL,
                          "unknown purpose '%s' (see `consentblur purpose list`)", opts->purpose);
    if (rc == 0)
        rc = cb_embedder_open(opts->model_dir, &j->embedder, err);
    if (rc == 0)
        rc = cb_judge_refresh(j, err);
    if (rc < 0) {
        cb_judge_close(j);
        return rc;
    }
    *out = j;
    return 0;
}

void cb_judge_close(cb_judge *j)
{
    if (!j)
        return;
    cb_registry_templates_free(j->templates, j->n_templates);
    cb_embedder_close(j->embedder);
    cb_registry_close(j->registry);
    free(j);
}

int64_t cb_judge_registry_version(const cb_judge *j)
{
    return j->head.id;
}

const char *cb_judge_registry_hash(const cb_judge *j)
{
    return j->head.hash;
}

const cb_policy *cb_judge_policy(const cb_judge *j)
{
    return &j->policy;
}

int cb_judge_template_count(const cb_judge *j)
{
    return j->n_templates;
}

int cb_judge_embedding_dim(const cb_judge *j)
{
    (void)j;
    return CB_EMBEDDING_DIM;
}

int cb_judge_embed(cb_judge *j, const AVFrame *frame, const cb_face *face, float *embedding,
                   cb_error *err)
{
    float quality = 0;
    cb_error why = {0};
    int rc = cb_embedder_embed(j->embedder, frame, face, embedding, &quality, &why);
    if (rc == CB_EINVAL) {
        cb_log(j->opts.log, CB_LOG_DEBUG, "judge: face at %.0f,%.0f not embedded: %s", face->x,
               face->y, why.msg);
        return 1;
    }
    if (rc < 0) {
        if (err)
            *err = why;
        return rc;
    }
    return 0;
}

int cb_judge_decide(cb_judge *j, const float *embedding, cb_verdict *out, cb_error *err)
{
    if (!embedding) {
        cb_verdict_redact(out, CB_REASON_NOT_RECOGNISABLE,
                          _("face could not be aligned for recognition"));
        return 0;
    }
    cb_match m;
    cb_match_embedding(j->templates, j->n_templates, embedding, &j->opts.match, &m);
    cb_verdict_redact(out, m.reason, NULL);
    out->distance = m.distance;
    out->runner_up_distance = m.runner_up_distance;
    if (!m.recognised) {
        if (m.reason == CB_REASON_LOW_MARGIN)
            snprintf(out->detail, sizeof out->detail,
                     _("two enrolled people match too closely (distance %.3f vs %.3f)"), m.distance,
                     m.runner_up_distance);
        else
            snprintf(out->detail, sizeof out->detail, "%s", _("not an enrolled person with consent"));
        return 0;
    }
    cb_person person;
    int rc = cb_registry_person_get(j->registry, m.person_id, &person, err);
    if (rc == CB_ENOTFOUND) { /* removed since the templates were loaded */
        snprintf(out->detail, sizeof out->detail, "%s", _("matched a person no longer in the registry"));
        out->reason = CB_REASON_UNKNOWN;
        return 0;
    }
    if (rc < 0)
        return rc;
    out->person_id = person.id;
    snprintf(out->external_id, sizeof out->external_id, "%s", person.external_id);
    snprintf(out->name, sizeof out->name, "%s", person.name);
    cb_consent current;
    int found = 0;
    rc = cb_registry_consent_current(j->registry, person.id, j->policy.purpose, &current, &found,
                                     err);
    if (rc < 0)
        return rc;
    out->keep = cb_decide(&j->policy, &person, found ? &current : NULL, &out->reason,
                          out->detail, sizeof out->detail);
    return 0;
}

int cb_judge_faces(cb_judge *j, const AVFrame *frame, const cb_face *faces, int count,
                   cb_verdict *out, cb_error *err)
{
    float *emb = malloc(sizeof(float) * CB_EMBEDDING_DIM);
    if (!emb)
        return cb_error_set(err, CB_ENOMEM, "out of memory");
    int rc = 0;
    for (int i = 0; rc == 0 && i < count; i++) {
        rc = cb_judge_embed(j, frame, &faces[i], emb, err);
        if (rc >= 0)
            rc = cb_judge_decide(j, rc == 0 ? emb : NULL, &out[i], err);
    }
    free(emb);
    if (rc < 0)
        return rc;
    for (int a = 0; a < count; a++)
        for (int b = a + 1; b < count; b++)
            if (cb_verdicts_same_person(&out[a], &out[b]))
                cb_verdicts_redact_same_person(&out[a], &out[b], 0);
    return 0;
}

int cb_verdicts_same_person(const cb_verdict *a, const cb_verdict *b)
{
    return a->person_id && a->person_id == b->person_id;
}

void cb_verdicts_redact_same_person(cb_verdict *a, cb_verdict *b, int on_screen)
{
    for (int k = 0; k < 2; k++) {
        cb_verdict *v = k ? b : a;
        v->keep = 0;
        v->reason = CB_REASON_LOW_MARGIN;
        if (on_screen)
            snprintf(v->detail, sizeof v->detail,
                     _("two faces on screen at once match %s: cannot tell which is them"),
                     v->external_id);
        else
            snprintf(v->detail, sizeof v->detail,
                     _("two faces in the picture match %s: cannot tell which is them"),
                     v->external_id);
    }
}
