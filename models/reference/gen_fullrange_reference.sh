#!/bin/bash
# Regenerate tests/fixtures/fullrange_reference.json: MediaPipe's full-range
# BlazeFace (face_detection_full_range.tflite, the TFLite interpreter of
# @tensorflow/tfjs-tflite) on four test photos at 192x192.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$here/gen_detector_reference.sh" fullrange tests/fixtures/fullrange_reference.json \
    groups/bbt1.jpg groups/obama_and_biden.jpg groups/kit_with_rose.jpg probes/obama1.jpg
