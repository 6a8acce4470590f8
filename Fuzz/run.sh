#!/usr/bin/env bash
# Runs igcam's libFuzzer targets (docs/RELIABILITY.md).
#   Fuzz/run.sh SECONDS [TARGET...]      (default: every target)
# Builds Fuzz/ with -sanitize=fuzzer,address unless FUZZ_NO_BUILD=1, then fuzzes each target for
# SECONDS in turn (one process at a time: the machine may be shared), starting from the seed
# files and the regression files and keeping what it learns in Fuzz/.build/corpus/<target>.
# A crash, sanitizer report, leak, out-of-memory (> 2 GB) or hang (> 10 s per input) is written
# to Tests/Fixtures/fuzz/<target>/ (which the normal test suite replays: Tests/IGFuzzTests) and
# makes the script exit 1 after the remaining targets have run.
# Figures per target go to Fuzz/.build/stats.tsv (target, seconds, executions, status).
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-600}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(onnx png jpeg voc npy sidecar viewer-keys cli)
SWIFT=${SWIFT:-swift}

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
    $SWIFT build -c release --package-path Fuzz --sanitize fuzzer --sanitize address || exit 1
fi
BIN=Fuzz/.build/release/igcam-fuzz

# The seed files of a target: the fixtures of its format (same lists as Tests/IGFuzzTests).
seeds() {
    case $1 in
        onnx) ls Tests/Fixtures/onnx/*.onnx ;;
        png) ls Tests/Fixtures/images/*.png ;;
        jpeg) ls Tests/Fixtures/images/*.jpg ;;
        voc) ls assets/voc/Annotations/*.xml ;;
        npy) ls Tests/Fixtures/images/*.npy ;;
        sidecar) ls assets/models/*.json ;;
    esac
}

status=0
mkdir -p Fuzz/.build
for t in "${TARGETS[@]}"; do
    corpus=Fuzz/.build/corpus/$t
    regress=Tests/Fixtures/fuzz/$t
    mkdir -p "$corpus" "$regress"
    for f in $(seeds "$t"); do cp -n "$f" "$corpus/seed-$(basename "$f")"; done
    log=Fuzz/.build/$t.log
    echo "fuzz $t: $SECONDS_EACH s (log: $log)"
    # -rss_limit_mb: an input that makes igcam allocate > 2 GB is a bug (limits must refuse it first).
    FUZZ_TARGET=$t ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0} "$BIN" \
        -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$regress/" -print_final_stats=1 "$corpus" "$regress" >"$log" 2>&1
    rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -1)
    if [ $rc -eq 0 ]; then st=ok; else st=FAILED; status=1; fi
    printf '%s\t%s\t%s\t%s\n' "$t" "${secs:-$SECONDS_EACH}" "${execs:-?}" "$st" | tee -a Fuzz/.build/stats.tsv
    if [ $rc -ne 0 ]; then
        echo "fuzz $t FAILED (exit $rc): new file(s) in $regress/; last lines of $log:" >&2
        tail -n 40 "$log" >&2
    fi
done
exit $status
