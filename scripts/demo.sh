#!/usr/bin/env bash
# `make demo`: run consentblur on the sample photos and leave the outputs and
# a JSON report in demo-out/.
set -euo pipefail
bin=${1:?usage: demo.sh BINARY}
out=demo-out
mkdir -p "$out"
shopt -s nullglob
inputs=(samples/generated/*.jpg samples/generated/*.png samples/generated/*.webp)
[ ${#inputs[@]} -gt 0 ] || { echo "demo: no samples in samples/generated (run make samples)" >&2; exit 1; }
set +e
"$bin" -v redact --force --json "${inputs[@]}" -o "$out" > "$out/report.json"
rc=$?
set -e
echo "demo: $(grep -c '"status": "ok"' "$out/report.json") file(s) redacted into $out/, report in $out/report.json (exit $rc)"
grep -o '"faces_redacted": [0-9]*' "$out/report.json" || true
exit $rc
