/* match.c - nearest enrolled person with a margin; see match.h. */
#include "match.h"

#include <math.h>

void cb_match_embedding(const cb_template *templates, int count, const float *embedding,
                        const cb_match_opts *opts, cb_match *out)
{
    out->recognised = 0;
    out->reason = CB_REASON_UNKNOWN;
    out->person_id = 0;
    out->distance = INFINITY;
    out->runner_up_id = 0;
    out->runner_up_distance = INFINITY;
    for (int i = 0; i < count; i++) {
        const cb_template *t = &templates[i];
        if (t->dim != CB_EMBEDDING_DIM || !t->embedding)
            continue;
        float d = cb_embedding_distance(t->embedding, embedding);
        if (t->person_id == out->person_id) {
            if (d < out->distance)
                out->distance = d;
        } else if (d < out->distance) {
            /* A new nearest person: the old one becomes the runner-up. */
            if (out->person_id != 0) {
                out->runner_up_id = out->person_id;
                out->runner_up_distance = out->distance;
            }
            out->person_id = t->person_id;
            out->distance = d;
        } else if (d < out->runner_up_distance) {
            out->runner_up_id = t->person_id;
            out->runner_up_distance = d;
        }
    }
    if (out->person_id == 0 || !(out->distance < opts->threshold))
        return;
    if (out->runner_up_distance - out->distance < opts->margin) {
        out->reason = CB_REASON_LOW_MARGIN;
        return;
    }
    out->recognised = 1;
    out->reason = CB_REASON_CONSENT;
}

void cb_match_opts_default(cb_match_opts *opts)
{
    opts->threshold = CB_EMBEDDER_MATCH_THRESHOLD;
    opts->margin = CB_EMBEDDER_MATCH_MARGIN;
}
