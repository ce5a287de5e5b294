/* face_list.c - see face.h. */
#include "face.h"

#include <stdlib.h>
#include <string.h>

int cb_face_list_push(cb_face_list *list, const cb_face *f, cb_error *err)
{
    if (list->count == list->capacity) {
        int cap = list->capacity ? list->capacity * 2 : 16;
        cb_face *grown = realloc(list->faces, (size_t)cap * sizeof *grown);
        if (!grown)
            return cb_error_set(err, CB_ENOMEM, "out of memory growing the face list");
        list->faces = grown;
        list->capacity = cap;
    }
    list->faces[list->count++] = *f;
    return 0;
}

void cb_face_list_free(cb_face_list *list)
{
    if (!list)
        return;
    free(list->faces);
    memset(list, 0, sizeof *list);
}

static float intersection(const cb_face *a, const cb_face *b)
{
    float x0 = a->x > b->x ? a->x : b->x;
    float y0 = a->y > b->y ? a->y : b->y;
    float x1 = (a->x + a->w) < (b->x + b->w) ? (a->x + a->w) : (b->x + b->w);
    float y1 = (a->y + a->h) < (b->y + b->h) ? (a->y + a->h) : (b->y + b->h);
    if (x1 <= x0 || y1 <= y0)
        return 0.0f;
    return (x1 - x0) * (y1 - y0);
}

float cb_face_iou(const cb_face *a, const cb_face *b)
{
    float inter = intersection(a, b);
    float uni = a->w * a->h + b->w * b->h - inter;
    return uni > 0 ? inter / uni : 0.0f;
}

float cb_face_overlap_min(const cb_face *a, const cb_face *b)
{
    float inter = intersection(a, b);
    float amin = a->w * a->h < b->w * b->h ? a->w * a->h : b->w * b->h;
    return amin > 0 ? inter / amin : 0.0f;
}

static int by_score_desc(const void *pa, const void *pb)
{
    const cb_face *a = pa, *b = pb;
    return (a->score < b->score) - (a->score > b->score);
}

void cb_face_list_nms(cb_face_list *list, float iou_threshold, float contain_threshold)
{
    if (list->count < 2)
        return;
    qsort(list->faces, (size_t)list->count, sizeof *list->faces, by_score_desc);
    int kept = 0;
    for (int i = 0; i < list->count; i++) {
        cb_face *cand = &list->faces[i];
        int merged = 0;
        for (int k = 0; k < kept; k++) {
            cb_face *keep = &list->faces[k];
            if (cb_face_iou(keep, cand) > iou_threshold ||
                cb_face_overlap_min(keep, cand) > contain_threshold) {
                keep->detectors |= cand->detectors;
                if (!keep->has_landmarks && cand->has_landmarks) {
                    keep->has_landmarks = 1;
                    memcpy(keep->landmarks, cand->landmarks, sizeof keep->landmarks);
                }
                merged = 1;
                break;
            }
        }
        if (!merged)
            list->faces[kept++] = *cand;
    }
    list->count = kept;
}
