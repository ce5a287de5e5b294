#!/usr/bin/env bash
# run_bench.sh BINARY - end-to-end speed of `BINARY redact` on large photos
# and on a 1080p30 video, each side by side with plain FFmpeg doing the same
# decode + encode in the same run, then the detector accuracy table from
# eval_detect. Prints Markdown for the README.
#
#   BINARY            the consentblur executable (e.g. build/consentblur)
# Environment (all optional):
#   CB_TESTDATA       shared test photos (default: ../shared/testdata beside the checkout)
#   BENCH_DIR         where the generated 12 MP JPEGs go (default: $TMPDIR/consentblur-bench;
#                     never inside the repository; reused when already there)
#   BENCH_N           number of photos (default 8)
#   BENCH_EVAL        path of eval_detect (default: built next to BINARY, target eval_detect)
#   BENCH_EVAL_ARGS   arguments for eval_detect (default: a short list of configurations
#                     on 2 synthetic composites; BENCH_FULL=1 runs its whole list on 4)
#   BENCH_SKIP_EVAL=1 speed only
#   BENCH_SKIP_VIDEO=1 photos only
# Needs ffmpeg and /usr/bin/time (Debian package `time`) for the peak memory.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 BINARY   (BINARY: the consentblur executable)" >&2
    exit 2
fi
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
build_dir=$(dirname "$bin")
root=$(cd "$(dirname "$0")/.." && pwd)
testdata=${CB_TESTDATA:-$root/../shared/testdata}
n=${BENCH_N:-8}
dir=${BENCH_DIR:-${TMPDIR:-/tmp}/consentblur-bench}
command -v ffmpeg >/dev/null || { echo "run_bench: ffmpeg is missing (apt-get install ffmpeg)" >&2; exit 1; }
[ -d "$testdata/groups" ] || { echo "run_bench: no test photos in $testdata (set CB_TESTDATA)" >&2; exit 1; }
timebin=/usr/bin/time
if [ ! -x "$timebin" ]; then
    echo "run_bench: /usr/bin/time missing (apt-get install time): peak memory not measured" >&2
    timebin=""
fi

# ---- 1. the photos: 4000x3000 (12 MP) JPEGs, one group photo stretched to the
# whole frame with other test photos laid over it at smaller sizes, so each
# has faces from about 40 to 600 px high.
mkdir -p "$dir/in"
bases=(bbt1.jpg bbt2.jpg bbt3.jpg bbt4.jpg bbt5.jpg kit_with_rose.jpg obama_and_biden.jpg two_people.jpg)
smalls=("$testdata"/groups/bbt*.jpg "$testdata"/groups/two_people.jpg "$testdata"/probes/obama1.jpg
        "$testdata"/probes/johnsnow_test1.jpg "$testdata"/groups/kit_with_rose.jpg)
for ((i = 0; i < n; i++)); do
    out="$dir/in/photo$((i + 1)).jpg"
    [ -s "$out" ] && continue
    base="$testdata/groups/${bases[i % ${#bases[@]}]}"
    a=${smalls[i % ${#smalls[@]}]}
    b=${smalls[(i + 3) % ${#smalls[@]}]}
    c=${smalls[(i + 5) % ${#smalls[@]}]}
    ffmpeg -nostdin -v error -y -i "$base" -i "$a" -i "$b" -i "$c" -filter_complex \
        "[0:v]scale=4000:3000:flags=bicubic,format=yuv420p[bg];
         [1:v]scale=-2:900[a];[2:v]scale=-2:450[b];[3:v]scale=-2:220[c];
         [bg][a]overlay=80:1950[t1];[t1][b]overlay=2600:100[t2];[t2][c]overlay=3300:2650,format=yuvj420p" \
        -frames:v 1 -q:v 2 "$out"
done
files=()
for ((i = 0; i < n; i++)); do files+=("$dir/in/photo$((i + 1)).jpg"); done
mb=$(du -cm "${files[@]}" | tail -1 | cut -f1)

# ---- 2. timing. Each tool runs once untimed first (page cache, model files).
now() { date +%s.%N; }
# run_timed OUTVAR_SECONDS OUTVAR_KB command...: wall seconds and peak RSS (kB).
run_timed() {
    local __s=$1 __k=$2; shift 2
    local __log __t0 __t1 __kb="n/a"
    __log=$(mktemp)
    __t0=$(now)
    if [ -n "$timebin" ]; then
        "$timebin" -v -o "$__log" "$@" >/dev/null 2>>"$dir/bench.log"
        __kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$__log")
    else
        "$@" >/dev/null 2>>"$dir/bench.log"
    fi
    __t1=$(now)
    rm -f "$__log"
    printf -v "$__s" '%s' "$(echo "$__t1 - $__t0" | bc -l)"
    printf -v "$__k" '%s' "$__kb"
}
: >"$dir/bench.log"
rm -rf "$dir/out-cb" "$dir/out-fast" "$dir/out-ff"
mkdir -p "$dir/out-cb" "$dir/out-fast" "$dir/out-ff"
"$bin" redact "${files[0]}" -o "$dir/out-cb" --force >/dev/null 2>>"$dir/bench.log" || true
ffmpeg -nostdin -v error -y -i "${files[0]}" "$dir/out-ff/warm.jpg"

# consentblur: one process for all photos (how a batch runs); then with the
# fast detector (UltraFace alone, as videos use).
run_timed cb_s cb_kb "$bin" redact "${files[@]}" -o "$dir/out-cb" --force
run_timed fast_s fast_kb "$bin" redact "${files[@]}" -o "$dir/out-fast" --force --detectors ultraface
# plain FFmpeg: decode + encode each photo, one process each (ffmpeg's own way).
ff_kb=0
ff_s=0
for f in "${files[@]}"; do
    run_timed s kb ffmpeg -nostdin -v error -y -i "$f" "$dir/out-ff/$(basename "$f")"
    ff_s=$(echo "$ff_s + $s" | bc -l)
    if [ "$kb" != "n/a" ] && [ "$kb" -gt "$ff_kb" ]; then ff_kb=$kb; fi
done
[ -n "$timebin" ] || ff_kb="n/a"
made=$(find "$dir/out-cb" "$dir/out-fast" -name 'photo*.jpg' | wc -l)
if [ "$made" -ne $((2 * n)) ]; then
    echo "run_bench: consentblur wrote $made of $((2 * n)) photos; see $dir/bench.log" >&2
    exit 1
fi
mib() { [ "$1" = "n/a" ] && echo "n/a" || echo "$(( ($1 + 512) / 1024 )) MiB"; }
cb_pps=$(echo "$n / $cb_s" | bc -l)
ff_pps=$(echo "$n / $ff_s" | bc -l)
ratio=$(echo "$cb_s / $ff_s" | bc -l)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')

echo "### Speed: $n photos of 4000x3000 (12 MP) JPEG, $mb MB in all"
echo
echo "Machine: $cpu, $(nproc) cores. \`consentblur redact\` with its defaults (one process for all"
echo "photos, end to end: decode, detect, redact, encode, write) against \`ffmpeg -i in.jpg out.jpg\`"
echo "(one process per photo) on the same files in the same run."
echo
echo "| | photos / s | s / photo | total s | peak RSS |"
echo "|---|---|---|---|---|"
printf '| consentblur redact | %.3f | %.2f | %.1f | %s |\n' "$cb_pps" "$(echo "$cb_s / $n" | bc -l)" "$cb_s" "$(mib "$cb_kb")"
printf '| ffmpeg -i in.jpg out.jpg | %.2f | %.3f | %.1f | %s |\n' "$ff_pps" "$(echo "$ff_s / $n" | bc -l)" "$ff_s" "$(mib "$ff_kb")"
printf '| ratio (consentblur / ffmpeg time) | | %.1fx | | |\n' "$ratio"
printf '| consentblur redact --detectors ultraface (fast) | %.3f | %.2f | %.1f | %s |\n' \
    "$(echo "$n / $fast_s" | bc -l)" "$(echo "$fast_s / $n" | bc -l)" "$fast_s" "$(mib "$fast_kb")"
printf '| ratio (fast / ffmpeg time) | | %.1fx | | |\n' "$(echo "$fast_s / $ff_s" | bc -l)"
echo

# Where the time goes: the same photos again with the per-stage timing of the
# debug log (`-v -v`); the median of each stage over the photos.
"$bin" -v -v redact "${files[@]}" -o "$dir/out-cb" --force 2>&1 >/dev/null | awk '
    function median(a, n,   i, j, t) {
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    /detector: .* seconds: levels/ {
        n++
        sub(/.*seconds: levels /, "")
        split($0, part, ", second looks ")
        nl = split(part[1], lv, " ")
        for (k = 1; k <= nl; k++) { level[k, n] = lv[k]; if (nl > levels) levels = nl }
        split(part[2], lk, " "); looks[n] = lk[1]; gsub(/[(),]/, "", lk[2]); nlooks[n] = lk[2]
        match(part[2], /finest [0-9.]+/); fine[n] = substr(part[2], RSTART + 7, RLENGTH - 7)
    }
    /: seconds: read/ {
        m++
        match($0, /read [0-9.]+/); rd[m] = substr($0, RSTART + 5, RLENGTH - 5)
        match($0, /detect [0-9.]+/); dt[m] = substr($0, RSTART + 7, RLENGTH - 7)
        match($0, /redact [0-9.]+/); rc[m] = substr($0, RSTART + 7, RLENGTH - 7)
        match($0, /write [0-9.]+/); wr[m] = substr($0, RSTART + 6, RLENGTH - 6)
    }
    END {
        if (!m) exit
        print "Where the time goes (median over the photos, seconds; `consentblur -v -v` prints them):"
        print ""
        print "| read (decode, orientation, BGR) | detect | of which: UltraFace pyramid levels 0, 1, ... | BlazeFace finest level | second looks (candidates) | redact | write (encode, fsync, rename) |"
        print "|---|---|---|---|---|---|---|"
        s = ""
        for (k = 1; k <= levels; k++) { for (i = 1; i <= n; i++) a[i] = level[k, i]; s = s sprintf("%s%.3f", k > 1 ? ", " : "", median(a, n)) }
        printf "| %.3f | %.3f | %s | %.3f | %.3f (%d) | %.3f | %.3f |\n", median(rd, m), median(dt, m), s, median(fine, n), median(looks, n), median(nlooks, n), median(rc, m), median(wr, m)
        print ""
    }'

# ---- 3. video: the Hamilton clip of the test data scaled to 1280x720,
# 1920x1080 (both played three times: 27.6 s) and 3840x2160 (the first 10 s)
# at 30 fps, each against ffmpeg's own transcode with the same x264 settings
# and audio copied, in the same run.
# make_clip NAME W H LOOPS [SECONDS]: the clip at $dir/clip-NAME.mp4 (made once).
make_clip() {
    local out="$dir/clip-$1.mp4"
    if [ ! -s "$out" ]; then
        ffmpeg -nostdin -v error -y -stream_loop "$4" -i "$testdata/video/hamilton-short.mp4" \
            ${5:+-t "$5"} -vf "scale=$2:$3:flags=bicubic,fps=30" -c:v libx264 -preset veryfast \
            -crf 18 -c:a aac -b:a 128k "$out.part.mp4"
        mv "$out.part.mp4" "$out"
    fi
    echo "$out"
}
# video_rows NAME CLIP [consentblur options]: the ffmpeg and consentblur rows
# of one clip, then where consentblur's time went (its -v -v stage line).
video_rows() {
    local name=$1 clip=$2 frames ff_s ff_kb cb_s cb_kb stages
    shift 2
    frames=$(ffprobe -v error -count_packets -select_streams v:0 -show_entries \
        stream=nb_read_packets -of csv=p=0 "$clip")
    rm -rf "$dir/out-video" && mkdir -p "$dir/out-video"
    run_timed ff_s ff_kb ffmpeg -nostdin -v error -y -i "$clip" -c:v libx264 \
        -preset veryfast -crf 20 -c:a copy "$dir/out-video/ffmpeg.mp4"
    run_timed cb_s cb_kb "$bin" -v -v redact "$clip" -o "$dir/out-video" --force "$@"
    stages=$(grep -h "ms per frame" "$dir/bench.log" | tail -1 | sed 's/.*ms per frame: //')
    printf '| %s | ffmpeg transcode | %.1f | %.2f | 1.0x | %s |\n' "$name" \
        "$(echo "$frames / $ff_s" | bc -l)" "$ff_s" "$(mib "$ff_kb")"
    printf '| %s | consentblur redact %s | %.1f | %.2f | %.2fx | %s |\n' "$name" "${*:-(defaults)}" \
        "$(echo "$frames / $cb_s" | bc -l)" "$cb_s" "$(echo "$cb_s / $ff_s" | bc -l)" \
        "$(mib "$cb_kb")"
    video_stages+=("| $name | $stages |")
}
if [ "${BENCH_SKIP_VIDEO:-0}" != 1 ]; then
    c720=$(make_clip 720p30 1280 720 2)
    c1080=$(make_clip 1080p30 1920 1080 2)
    c2160=$(make_clip 2160p30 3840 2160 0 10)
    video_stages=()
    echo "### Speed: video (Hamilton clip scaled: 720p and 1080p 27.6 s, 4K 10 s; 30 fps, H.264 + AAC)"
    echo
    echo "Same machine and run. consentblur redact (decode, detect and track, redact, encode"
    echo "H.264 with x264 veryfast CRF 20, audio copied) against \`ffmpeg -i in.mp4 -c:v libx264"
    echo "-preset veryfast -crf 20 -c:a copy out.mp4\`. Real time is 30 fps."
    echo
    echo "| clip | | fps | total s | time vs ffmpeg | peak RSS |"
    echo "|---|---|---|---|---|---|"
    video_rows 720p "$c720"
    video_rows 1080p "$c1080"
    video_rows 1080p "$c1080" --min-face 40
    video_rows 4K "$c2160"
    echo
    echo "Where consentblur's time went, ms per frame (\`consentblur -v -v\` prints this line):"
    echo
    echo "| clip | stages |"
    echo "|---|---|"
    printf '%s\n' "${video_stages[@]}"
    echo
fi

# ---- 4. accuracy table.
[ "${BENCH_SKIP_EVAL:-0}" = 1 ] && exit 0
eval_bin=${BENCH_EVAL:-$build_dir/bench/eval_detect}
if [ ! -x "$eval_bin" ] && [ -f "$build_dir/CMakeCache.txt" ]; then
    cmake --build "$build_dir" --target eval_detect >/dev/null
fi
if [ ! -x "$eval_bin" ]; then
    echo "run_bench: $eval_bin not found (cmake --build BUILD --target eval_detect)" >&2
    exit 1
fi
if [ -n "${BENCH_EVAL_ARGS:-}" ]; then
    read -r -a eval_args <<<"$BENCH_EVAL_ARGS"
elif [ "${BENCH_FULL:-0}" = 1 ]; then
    eval_args=(--composites 4)
else
    eval_args=(--composites 2
        --config "models=haar,name=haar (OpenCV cascade)"
        --config "models=bf+vbf:0.65,tiling=1,name=bf 0.5 tiled, 2nd look bf 0.65 (old default)"
        --config "models=uf,name=uf 0.5"
        --config "models=uf+vuf:0.9+vbf:0.5+vfr:0.5,own=0.7,name=uf 0.5, 2nd look (fast: videos)"
        --config "models=uf+bf+vuf:0.9+vbf:0.5+vfr:0.5,own=0.7,name=**uf+bf 0.5, 2nd look of every candidate, own 0.7 (default)**")
fi
echo "### Detection accuracy (bench/eval_detect)"
echo
CB_TESTDATA=$testdata "$eval_bin" --testdata "$testdata" "${eval_args[@]}"
