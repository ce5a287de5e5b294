#!/usr/bin/env bash
# make_corpus.sh - make the seed corpora of the fuzz targets, OUT/{image,video,csv}/,
# from the shared test photos (run_fuzz.sh calls it; OUT is in the build folder).
#
#   tests/fuzz/make_corpus.sh OUT [TESTDATA]  (default: $CB_TESTDATA or ../shared/testdata)
#
# The seeds are made on the machine that fuzzes, never committed: most of them
# are small copies of a face from ../shared/testdata, which stays out of the
# repository.
#
# Everything is made at tiny sizes (64x64 pictures, a few video frames) from
# probes/obama1.jpg and probes/32bit.png with the ffmpeg CLI, tests/bad_inputs/
# mkjpeg.c (libjpeg: grey, CMYK, YCCK, progressive, EXIF-rotated JPEGs) and a
# few lines of Python (PNG chunks); nothing from the test data is copied as it
# is. Each file must stay under 20 KB and all of them together under 600 KB;
# the script checks that at the end. Needs: ffmpeg (with libx264, libvpx,
# libopus, libwebp), cc, libjpeg (libjpeg-dev), python3, iconv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:?usage: make_corpus.sh OUT [TESTDATA]}"
data="${2:-${CB_TESTDATA:-$root/../shared/testdata}}"
photo="$data/probes/obama1.jpg"
alpha_photo="$data/probes/32bit.png"
for f in "$photo" "$alpha_photo"; do
    [ -r "$f" ] || { echo "make_corpus.sh: $f is missing (pass the test data folder)" >&2; exit 1; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
bitexact=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact)

# Made in $tmp, then moved into OUT: an interrupted run leaves no half corpus,
# and nothing in OUT but the three folders is touched.
new="$tmp/corpus"
mkdir -p "$new/image" "$new/video" "$new/csv"
img="$new/image" vid="$new/video" csv="$new/csv"

cc -O1 -o "$tmp/mkjpeg" "$root/tests/bad_inputs/mkjpeg.c" -ljpeg

# ---- still images --------------------------------------------------------
# The face of obama1.jpg (about 400 px at 507,233 in 1480x832), 64x64.
face="crop=440:440:485:210,scale=64:64:flags=area"
ff -i "$photo" -vf "$face" -frames:v 1 -pix_fmt rgb24 "$tmp/face.png"
ff -i "$tmp/face.png" -pix_fmt rgb24 -f rawvideo "$tmp/face.rgb"
ff -i "$tmp/face.png" -vf transpose=cclock -pix_fmt rgb24 -f rawvideo "$tmp/face_ccw.rgb"

ff -i "$tmp/face.png" "${bitexact[@]}" -q:v 4 -pix_fmt yuvj420p "$img/face.jpg"
ff -i "$tmp/face.png" "${bitexact[@]}" -q:v 4 -pix_fmt yuvj444p "$img/face_444.jpg"
cp "$tmp/face.png" "$img/face.png"
ff -i "$tmp/face.png" "${bitexact[@]}" -pix_fmt gray "$img/gray.png"
ff -i "$tmp/face.png" "${bitexact[@]}" -pix_fmt gray16be "$img/gray16.png"
ff -i "$tmp/face.png" "${bitexact[@]}" -pix_fmt rgb48be "$img/rgb48.png"
ff -i "$tmp/face.png" "${bitexact[@]}" -vf "scale=32:32,format=pal8" "$img/pal8.png"
ff -i "$alpha_photo" "${bitexact[@]}" -vf "scale=48:-2:flags=area" -pix_fmt rgba "$img/alpha.png"
ff -i "$alpha_photo" "${bitexact[@]}" -vf "scale=32:-2:flags=area" -pix_fmt rgba64be "$img/rgba64.png"
ff -i "$alpha_photo" "${bitexact[@]}" -vf "scale=32:-2:flags=area" -pix_fmt ya8 "$img/gray_alpha.png"
ff -i "$tmp/face.png" "${bitexact[@]}" -c:v libwebp -quality 60 "$img/face.webp"
ff -i "$tmp/face.png" "${bitexact[@]}" -c:v libwebp -lossless 1 "$img/face_lossless.webp"
ff -i "$alpha_photo" "${bitexact[@]}" -vf "scale=48:-2:flags=area" -c:v libwebp -pix_fmt yuva420p \
   "$img/alpha.webp"
ff -i "$tmp/face.png" "${bitexact[@]}" "$img/face.gif"
ff -i "$tmp/face.png" "${bitexact[@]}" -vf scale=32:32 "$img/face.bmp"
ff -i "$tmp/face.png" "${bitexact[@]}" -vf scale=32:32 -compression_algo deflate "$img/face.tiff"
# phone photos (libheif's encoder, Debian package libheif-examples)
heif-enc -q 50 -o "$img/face.heic" "$img/face.png" >/dev/null
heif-enc -q 50 -A -o "$img/face.avif" "$img/face.png" >/dev/null
heif-enc -q 50 -o "$img/alpha.heic" "$img/alpha.png" >/dev/null
ff -f lavfi -i "testsrc2=size=32x32:rate=5" -frames:v 2 "${bitexact[@]}" -plays 0 -f apng \
   "$img/anim.png"
ff -f lavfi -i "color=c=red:size=2x2" -frames:v 1 -vf scale=1:1 "${bitexact[@]}" "$img/1x1.png"
ff -f lavfi -i "color=c=red:size=2x2" -frames:v 1 -vf scale=1:1 "${bitexact[@]}" -pix_fmt yuvj444p "$img/1x1.jpg"

m="$tmp/mkjpeg"
"$m" gray 64 64 "$tmp/face.rgb" "$img/gray.jpg"
"$m" cmyk 64 64 "$tmp/face.rgb" "$img/cmyk.jpg"
"$m" ycck 64 64 "$tmp/face.rgb" "$img/ycck.jpg"
"$m" prog 64 64 "$tmp/face.rgb" "$img/progressive.jpg"
# Stored turned a quarter left, EXIF orientation 6 turns it back upright.
"$m" rgb 64 64 "$tmp/face_ccw.rgb" "$img/exif6.jpg" 6
"$m" rgb 64 64 "$tmp/face.rgb" "$img/exif2.jpg" 2
"$m" rgb 64 64 "$tmp/face.rgb" "$img/exif8.jpg" 8

# A JPEG with bytes after its end-of-image marker; a cut one.
cat "$img/face.jpg" > "$img/trailing.jpg"
printf 'GARBAGE AFTER EOI \x00\xff\xd8\xff' >> "$img/trailing.jpg"
head -c 1200 "$img/face.jpg" > "$img/cut.jpg"

# PNG variants that need chunk surgery: an eXIf chunk (orientation 6) after
# IHDR, a bad CRC in IDAT, the IEND chunk missing.
python3 - "$img" <<'PY'
import struct, sys, zlib
d = sys.argv[1]
png = open(d + "/face.png", "rb").read()
def chunks(b):
    i, out = 8, []
    while i < len(b):
        n = struct.unpack(">I", b[i:i + 4])[0]
        out.append((b[i + 4:i + 8], b[i + 8:i + 8 + n]))
        i += 12 + n
    return out
def build(cs, bad=None):
    b = b"\x89PNG\r\n\x1a\n"
    for t, body in cs:
        crc = zlib.crc32(t + body)
        if t == bad:
            crc ^= 0x5A5A5A5A
        b += struct.pack(">I", len(body)) + t + body + struct.pack(">I", crc)
    return b
cs = chunks(png)
exif = b"MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00"
open(d + "/exif6.png", "wb").write(build(cs[:1] + [(b"eXIf", exif)] + cs[1:]))
open(d + "/bad_crc.png", "wb").write(build(cs, bad=b"IDAT"))
open(d + "/no_iend.png", "wb").write(build([c for c in cs if c[0] != b"IEND"]))
PY

# The start of a HEIF photo (what phones save; FFmpeg 5.1 cannot read it):
# ftyp with major brand heic, a meta box with a 'pict' handler, some mdat.
{
    printf '\0\0\0\030ftypheic\0\0\0\0mif1heic\0\0\0\055meta\0\0\0\0\0\0\0\041hdlr'
    printf '\0\0\0\0\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\030mdat0123456789abcdef'
} > "$img/photo.heic"

# ---- videos --------------------------------------------------------------
vsrc=(-loop 1 -framerate 10 -i "$tmp/face.png")
asrc=(-f lavfi -i "sine=frequency=440:duration=0.5:sample_rate=8000")
ff "${vsrc[@]}" "${asrc[@]}" -t 0.5 "${bitexact[@]}" -c:v libx264 -preset ultrafast -crf 35 \
   -pix_fmt yuv420p -c:a aac -b:a 8k -ac 1 "$vid/face.mp4"
ff -i "$vid/face.mp4" -c copy "${bitexact[@]}" -movflags +faststart "$vid/faststart.mp4"
ff -i "$vid/face.mp4" -c copy "${bitexact[@]}" -metadata:s:v:0 rotate=90 "$vid/rot90.mp4"
ff "${vsrc[@]}" "${asrc[@]}" -t 0.5 "${bitexact[@]}" -c:v libx264 -preset ultrafast -crf 35 \
   -pix_fmt yuv444p -c:a libopus -b:a 6k "$vid/face.mkv"
ff "${vsrc[@]}" "${asrc[@]}" -t 0.5 "${bitexact[@]}" -c:v libvpx-vp9 -deadline realtime -crf 50 \
   -b:v 0 -c:a libopus -b:a 6k "$vid/face.webm"
ff "${vsrc[@]}" -t 0.3 "${bitexact[@]}" -c:v libvpx -deadline realtime -crf 50 -b:v 50k \
   "$vid/vp8.webm"
ff "${vsrc[@]}" -t 0.3 "${bitexact[@]}" -c:v mjpeg -q:v 8 "$vid/mjpeg.avi"
ff "${vsrc[@]}" -t 0.3 "${bitexact[@]}" -c:v libx264 -preset ultrafast -crf 40 -f mpegts \
   "$vid/face.ts"
ff "${vsrc[@]}" -t 0.2 "${bitexact[@]}" -vf scale=32:32 -pix_fmt yuv420p "$vid/tiny.y4m"
ff "${asrc[@]}" "${bitexact[@]}" -c:a aac -b:a 8k -ac 1 "$vid/audio_only.m4a"
head -c 3000 "$vid/faststart.mp4" > "$vid/cut.mp4"

# ---- CSV -------------------------------------------------------------------
cat > "$csv/good.csv" <<'CSV'
external_id,name,role,birth_date,group,social,website,newsletter,print,internal
P100,Ada Lovelace,pupil,2014-12-10,5B,yes,no,yes,,yes
P101,Bo Ek,pupil,2008-01-31,11A,no,no,,,
S200,Cy Teacher,staff,,,yes,yes,yes,yes,yes
CSV
printf 'external_id,name,role,social\r\nP1,"Pupil, Ada",pupil,yes\r\nS9,"Say ""hi""",staff,no\r\n' \
    > "$csv/crlf_quoted.csv"
printf '\xef\xbb\xbfexternal_id,name,role,birth_date\nP102,Zo\xc3\xab,pupil,2015-02-28\n' \
    > "$csv/bom.csv"
cat > "$csv/multiline.csv" <<'CSV'
external_id,name,role,group,given_by,given_by_name,evidence_ref,valid_from,valid_until,social
"P1","Ada
Pupil",pupil,"5B, west",guardian,"Ann ""Mum"" Parent",form-77,2024-01-01,2025-07-31,yes

P2,Bo Pupil,pupil,,self,,,2024-09-01,,no
CSV
cat > "$csv/bad_lines.csv" <<'CSV'
external_id,name,role,birth_date,social
P1,Ada,pupil,2014-02-30,yes
P3,,teacher,2010-01-01,maybe
P3,Dup,pupil,2010-01-01
P4,Quote "inside",pupil,2012-05-05,no
P5,"unclosed,pupil,2012-05-05,no
CSV
printf 'external_id;name;role\nP1;Ada;pupil\n' > "$csv/semicolons.csv"
printf 'external_id,name,role,socail,name\nP1,Ada,pupil,yes,Ada\n' > "$csv/bad_header.csv"
printf 'external_id,name,role\nP7,\xff\xfe bad,pupil\nP8,Ok,other\n' > "$csv/bad_utf8.csv"
printf 'external_id,name,role,birth_date,social\nP1,Ada Pupil,pupil,2014-03-01,no\nS1,Cy Staff,staff,,no\n' \
    > "$csv/update.csv"
printf '' > "$csv/empty.csv"
printf 'external_id,name,role,social\nS1,Ada,staff,yes\0no\n' > "$csv/nul.csv"
# UTF-16LE with a byte order mark, as Excel's "Unicode Text" writes it.
printf 'external_id,name,role\r\nS1,Ada,staff\r\n' | iconv -f UTF-8 -t UTF-16 > "$csv/utf16.csv"

# ---- limits ----------------------------------------------------------------
total=0
for f in "$new"/*/*; do
    n=$(stat -c %s "$f")
    if [ "$n" -ge 20480 ]; then
        echo "make_corpus.sh: $f is $n bytes (limit 20 KB)" >&2
        exit 1
    fi
    total=$((total + n))
done
if [ "$total" -ge 614400 ]; then
    echo "make_corpus.sh: the corpus is $total bytes (limit 600 KB)" >&2
    exit 1
fi
mkdir -p "$out"
rm -rf "${out:?}/image" "$out/video" "$out/csv"
mv "$new/image" "$new/video" "$new/csv" "$out/"
echo "make_corpus.sh: $(find "$out" -type f | wc -l) files, $total bytes in $out"
