#!/bin/bash
# gen_reference.sh NET SIZE OUT.json IMAGE...
#
# Runs face-api's original network NET (see NETS in faceapi_reference.mjs) in
# Node on each IMAGE (paths relative to the test data dir, $CB_TESTDATA,
# default ../shared/testdata beside the repository) and writes the summary
# JSON to OUT.json (path relative to the repository root, or absolute).
#
# The network input is defined by one ffmpeg command, so that the C tests can
# regenerate byte-identical input (they check the recorded sha256):
#   ffmpeg -v error -i IMAGE -vf scale=SIZE:SIZE:flags=bilinear -pix_fmt rgb24 -f rawvideo -
# An IMAGE written PATH#FILTER (e.g. probes/obama1.jpg#crop=384:384:515:210)
# runs the ffmpeg filter FILTER before the scale: -vf FILTER,scale=...; the
# fixture records the whole PATH#FILTER as the image's label.
#
# Needs node + npm (the pinned packages are installed with `npm ci` into
# models/reference/node_modules on first use) and ffmpeg.
set -euo pipefail

if [ $# -lt 4 ]; then
    echo "usage: $0 NET SIZE OUT.json IMAGE..." >&2
    exit 2
fi
net=$1; size=$2; out=$3; shift 3

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
testdata=${CB_TESTDATA:-$root/../shared/testdata}
case $out in /*) ;; *) out=$root/$out ;; esac

if [ ! -d "$here/node_modules/@vladmandic/face-api" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --ignore-scripts >&2)
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. "$here/raw_inputs.sh"
raw_inputs "$testdata" "$size" "$size" "$tmp" "$@"

node "$here/faceapi_reference.mjs" "$net" "$size" "${raw_args[@]}" > "$tmp/out.json"
mkdir -p "$(dirname "$out")"
mv "$tmp/out.json" "$out"
echo "wrote $out" >&2
