#!/usr/bin/env bash
# `make demo`: the main job on the samples. A demo consent registry is built
# in demo-out/ (two people with consent for social media, enrolled from the
# shared test photos; everyone else is unknown), then `consentblur process`
# runs on the sample photos and a sample video for purpose "social", leaving
# the outputs, a JSON report and an HTML contact sheet in demo-out/.
set -euo pipefail
bin=${1:?usage: demo.sh BINARY}
out=demo-out
td=${CB_TESTDATA:-../shared/testdata}
shopt -s nullglob
inputs=(samples/generated/*.jpg samples/generated/*.png samples/generated/*.webp samples/generated/*.heic
        samples/generated/*.mp4)
[ ${#inputs[@]} -gt 0 ] || { echo "demo: no samples in samples/generated (run make samples)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
export CONSENTBLUR_REGISTRY=$out/demo-registry.db CONSENTBLUR_ACTOR=demo
"$bin" person add obama --name "Barack Obama" --role staff >/dev/null
"$bin" consent grant obama social website --given-by self --evidence-ref "demo form 1" >/dev/null
"$bin" enroll obama "$td/identities/obama/obama.jpg" >/dev/null
"$bin" person add sheldon --name "Sheldon Cooper" --role staff >/dev/null
"$bin" consent grant sheldon website --given-by self --evidence-ref "demo form 2" >/dev/null
"$bin" enroll sheldon "$td"/identities/sheldon/sheldon{1,2,5}.png >/dev/null
set +e
"$bin" -v process --force --json --purpose social --report "$out/report.html" \
    "${inputs[@]}" -o "$out" > "$out/report.json"
rc=$?
set -e
echo "demo: $(grep -c '"status": "ok"' "$out/report.json") of ${#inputs[@]} file(s) processed into $out/ (exit $rc)"
grep -o '"faces_kept": [0-9]*, "faces_redacted": [0-9]*' "$out/report.json" | tail -1 |
    sed 's/^/demo: in all /'
echo "demo: per-face decisions in $out/report.json, contact sheet $out/report.html,"
echo "demo: the registry used is $CONSENTBLUR_REGISTRY (try: consentblur runs list)"
exit $rc
