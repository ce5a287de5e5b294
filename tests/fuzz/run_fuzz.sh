#!/usr/bin/env bash
# run_fuzz.sh - run each libFuzzer target of a CB_FUZZ build for a bounded
# time (what `make fuzz` calls; see README.md in this folder).
#
#   tests/fuzz/run_fuzz.sh BUILD_DIR SECONDS [TARGET...]
#
# Each target first runs once over the regression inputs of its kind
# (tests/bad_inputs/fuzz-KIND-*: what earlier runs found), then starts from a
# copy of its seed corpus (BUILD_DIR/fuzz-corpus/KIND, made by make_corpus.sh
# from the shared test data when missing or older than that script; copied to
# a temporary folder so the seeds never change) and runs for SECONDS with -rss_limit_mb=2048 -timeout=10. A crash, leak,
# sanitizer report, timeout or out-of-memory input is written to
# BUILD_DIR/crashes/TARGET-* and makes the script exit 1 after the other
# targets have run. Extra libFuzzer flags: FUZZ_FLAGS="-jobs=2 ...".
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:?usage: run_fuzz.sh BUILD_DIR SECONDS [TARGET...]}"
seconds="${2:?usage: run_fuzz.sh BUILD_DIR SECONDS [TARGET...]}"
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_image fuzz_video fuzz_csv)
build="$(cd "$build" && pwd)"
crashes="$build/crashes"
mkdir -p "$crashes"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# The seeds: made here, not committed (most are small copies of a test photo).
seeds="$build/fuzz-corpus"
if [ ! -e "$seeds/made" ] || [ "$here/make_corpus.sh" -nt "$seeds/made" ]; then
    rm -f "$seeds/made"
    "$here/make_corpus.sh" "$seeds" >"$build/fuzz-corpus.log" 2>&1 || {
        echo "run_fuzz.sh: make_corpus.sh failed; log: $build/fuzz-corpus.log" >&2
        tail -5 "$build/fuzz-corpus.log" >&2
        exit 1
    }
    touch "$seeds/made"
fi

failed=()
for t in "${targets[@]}"; do
    bin="$build/tests/fuzz/$t"
    kind="${t#fuzz_}"
    if [ ! -x "$bin" ]; then
        echo "run_fuzz.sh: $bin is missing (make fuzz builds it)" >&2
        failed+=("$t")
        continue
    fi
    # First the regression inputs earlier runs found (tests/bad_inputs/fuzz-KIND-*).
    regressions=("$here/../bad_inputs/fuzz-$kind-"*)
    if [ -e "${regressions[0]}" ]; then
        if ! "$bin" -rss_limit_mb=2048 -timeout=10 "${regressions[@]}" >"$build/$t-regressions.log" 2>&1; then
            echo "run_fuzz.sh: $t fails on a regression input; log: $build/$t-regressions.log" >&2
            failed+=("$t")
            continue
        fi
        echo "== $t: ${#regressions[@]} regression input(s) pass"
    fi
    work="$(mktemp -d)"
    cp -r "$seeds/$kind/." "$work/"
    echo "== $t: ${seconds}s from $(find "$work" -type f | wc -l) seeds"
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$crashes/$t-" ${FUZZ_FLAGS:-} "$work" >"$build/$t.log" 2>&1
    rc=$?
    grep -E '(DONE +cov|stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs)' \
        "$build/$t.log" | sed 's/^/   /'
    if [ $rc -ne 0 ]; then
        echo "run_fuzz.sh: $t failed (exit $rc); log: $build/$t.log; inputs: $crashes/$t-*" >&2
        grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==' "$build/$t.log" | head -20 >&2
        failed+=("$t")
    fi
    rm -rf "$work"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "run_fuzz.sh: failed: ${failed[*]}" >&2
    exit 1
fi
echo "run_fuzz.sh: no crash, leak or sanitizer report in ${targets[*]}"
