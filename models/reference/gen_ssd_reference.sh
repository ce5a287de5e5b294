#!/bin/bash
# Regenerate tests/fixtures/ssd_reference.json: face-api's SSD MobileNetV1
# (TensorFlow.js, cpu backend) on four test photos at 512x512.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$here/gen_reference.sh" ssd_mobilenetv1 512 tests/fixtures/ssd_reference.json \
    groups/bbt1.jpg groups/obama_and_biden.jpg groups/bbt4.jpg probes/obama1.jpg
