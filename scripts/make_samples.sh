#!/usr/bin/env bash
# `make samples`: build the demo inputs from the shared test photos (read from
# $CB_TESTDATA, never copied into the repository): JPEG group photos, a PNG
# with alpha, a WebP, a 12 MP composite with small faces and a short video. The folder is
# git-ignored.
set -euo pipefail
dest=${1:?usage: make_samples.sh DIR}
td=${CB_TESTDATA:-../shared/testdata}
[ -d "$td" ] || { echo "samples: test data folder $td not found (set CB_TESTDATA)" >&2; exit 1; }
mkdir -p "$dest"
[ -f "$dest/.done" ] && exit 0
cp "$td/groups/bbt4.jpg" "$dest/school-group.jpg"
cp "$td/groups/obama_and_biden.jpg" "$dest/stage.jpg"
cp "$td/probes/32bit.png" "$dest/portrait-alpha.png"
ffmpeg -v error -y -i "$td/groups/bbt3.jpg" -c:v libwebp -quality 90 "$dest/class.webp"
# A 4000x3000 picture with the group photos scaled small into it: small faces.
ffmpeg -v error -y -f lavfi -i "color=c=0x6b8e23:s=4000x3000,noise=alls=20:allf=t" \
  -i "$td/groups/bbt1.jpg" -i "$td/groups/bbt5.jpg" -filter_complex \
  "[1]scale=1000:-2[a];[2]scale=600:-2[b];[0][a]overlay=300:400[t];[t][b]overlay=2600:2000" \
  -frames:v 1 -q:v 3 "$dest/field-trip-12mp.jpg"
# A phone photo (HEIC, as iPhones save them), written out as JPEG.
heif-enc -q 80 -o "$dest/phone-photo.heic" "$td/groups/bbt5.jpg" >/dev/null
# A short phone-like video: the Hamilton clip of the test data.
ffmpeg -v error -y -i "$td/video/hamilton-short.mp4" -t 4 -c copy "$dest/stage-clip.mp4"
touch "$dest/.done"
echo "samples: $(ls "$dest" | wc -l) sample photos in $dest"
