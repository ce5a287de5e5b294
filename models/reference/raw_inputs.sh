# raw_inputs.sh - sourced by the gen_*reference.sh scripts: the network
# inputs of the reference runs, one ffmpeg command per image, the same the C
# tests run (tests/test_support.h, cb_test_reference_rgb):
#   ffmpeg -nostdin -v error -i IMAGE -vf '[FILTER,]scale=W:H:flags=bilinear' \
#          -pix_fmt rgb24 -f rawvideo -
#
# raw_inputs TESTDATA W H DIR IMAGE...
#   IMAGE is a path relative to TESTDATA, optionally PATH#FILTER (an ffmpeg
#   filter run before the scale). Writes DIR/0.rgb, DIR/1.rgb, ... and sets the
#   array raw_args to "IMAGE=DIR/N.rgb" for each. Exits 1 for a missing image.
raw_inputs() {
    local testdata=$1 w=$2 h=$3 dir=$4 img file filter i=0
    shift 4
    raw_args=()
    for img in "$@"; do
        file=${img%%#*}
        filter=
        [ "$file" = "$img" ] || filter="${img#*#},"
        if [ ! -f "$testdata/$file" ]; then
            echo "$0: missing test image $testdata/$file (set CB_TESTDATA)" >&2
            exit 1
        fi
        ffmpeg -nostdin -v error -i "$testdata/$file" -vf "${filter}scale=$w:$h:flags=bilinear" \
            -pix_fmt rgb24 -f rawvideo - > "$dir/$i.rgb"
        raw_args+=("$img=$dir/$i.rgb")
        i=$((i + 1))
    done
}
