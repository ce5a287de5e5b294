/* scene_cut.c - colour histograms of frames; see scene_cut.h. */
#include "scene_cut.h"

#include <math.h>
#include <string.h>

/* Sample every STEP-th pixel of every STEP-th row: 32,000 samples of 1080p. */
#define STEP 8

void cb_scene_sig_of(const AVFrame *frame, cb_scene_sig *out)
{
    memset(out, 0, sizeof *out);
    unsigned long count[3][16] = {{0}}, n = 0;
    for (int y = STEP / 2; y < frame->height; y += STEP) {
        const uint8_t *row = frame->data[0] + (size_t)y * frame->linesize[0];
        for (int x = STEP / 2; x < frame->width; x += STEP, n++)
            for (int c = 0; c < 3; c++)
                count[c][row[3 * x + c] >> 4]++;
    }
    for (int c = 0; n > 0 && c < 3; c++)
        for (int b = 0; b < 16; b++)
            out->hist[c][b] = (float)count[c][b] / (float)n;
}

float cb_scene_distance(const cb_scene_sig *a, const cb_scene_sig *b)
{
    float d = 0;
    for (int c = 0; c < 3; c++)
        for (int k = 0; k < 16; k++)
            d += fabsf(a->hist[c][k] - b->hist[c][k]);
    return d / 6.0f;
}
