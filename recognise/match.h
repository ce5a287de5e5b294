/*
 * match.h - who is this face? The nearest enrolled person to an embedding,
 * and how clearly: the distance to that person and to the next *other*
 * person. A face is recognised only when the nearest person is closer than
 * the threshold AND the next person is at least `margin` farther away; any
 * doubt leaves it unknown (and so redacted).
 *
 * Distances are Euclidean between embeddings (cb_embedding_distance of
 * models/embedder.h); a person's distance is that of their closest template.
 */
#ifndef CB_MATCH_H
#define CB_MATCH_H

#include <stdint.h>

#include "../models/embedder.h"
#include "../consent/decide.h"
#include "../consent/registry.h"

typedef struct cb_match_opts {
    float threshold; /* accept only below this distance */
    float margin;    /* and only when the next person is this much farther */
} cb_match_opts;

/* The defaults chosen from bench/eval_recognition's table (README):
 * CB_EMBEDDER_MATCH_THRESHOLD and CB_EMBEDDER_MATCH_MARGIN. */
void cb_match_opts_default(cb_match_opts *opts);

typedef struct cb_match {
    int recognised;          /* 1: person_id is who it is */
    cb_reason reason;        /* CB_REASON_UNKNOWN / CB_REASON_LOW_MARGIN when not */
    int64_t person_id;       /* the nearest person (0 when no templates at all) */
    float distance;          /* to the nearest person (INFINITY when none) */
    int64_t runner_up_id;    /* the next other person (0 when none) */
    float runner_up_distance;/* INFINITY when none */
} cb_match;

/*
 * Match one embedding (CB_EMBEDDING_DIM floats) against the templates (from
 * cb_registry_templates_load: only people who hold some granted consent;
 * templates of another size are skipped). Fills *out; never fails.
 */
void cb_match_embedding(const cb_template *templates, int count, const float *embedding,
                        const cb_match_opts *opts, cb_match *out);

#endif
