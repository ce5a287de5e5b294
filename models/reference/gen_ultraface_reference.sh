#!/bin/bash
# Regenerate tests/fixtures/ultraface_reference.json: the original UltraFace
# RFB-320 (faceplugin's fr_detect.onnx, onnxruntime-web) on four test photos
# at 320x240, its own box decoding included.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$here/gen_detector_reference.sh" ultraface tests/fixtures/ultraface_reference.json \
    groups/bbt1.jpg groups/obama_and_biden.jpg groups/bbt4.jpg probes/obama1.jpg
