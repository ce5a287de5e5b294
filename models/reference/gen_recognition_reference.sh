#!/bin/bash
# Regenerate tests/fixtures/recognition_reference.json: face-api's
# FaceRecognitionNet (TensorFlow.js, cpu backend) on five face crops at
# 150x150: three tight crops from identities/ and two faces cut out of probe
# photos with ffmpeg's crop filter (square around the box in
# bench/photos_truth.txt). The network sees these crops as they are (not
# aligned): the check is about the conversion, not about recognition.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec "$here/gen_reference.sh" face_recognition 150 tests/fixtures/recognition_reference.json \
    identities/amy/amy1.png identities/sheldon/sheldon2.png identities/penny/penny1.png \
    'probes/obama1.jpg#crop=460:460:478:172' 'probes/johnsnow_test1.jpg#crop=220:220:234:156'
