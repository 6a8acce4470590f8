#!/usr/bin/env bash
# Runs igcam's libFuzzer targets (docs/RELIABILITY.md).
#   Fuzz/run.sh SECONDS [TARGET...]      (default: every target)
# Builds Fuzz/ with -sanitize=fuzzer,address unless FUZZ_NO_BUILD=1, then fuzzes each target for
# SECONDS in turn (one process at a time unless FUZZ_JOBS says otherwise: the machine may be
# shared), starting from the seed files and the regression files and keeping what it learns
# in Fuzz/.build/corpus/<target>.
# A crash, sanitizer report, leak, out-of-memory (> 2 GB) or hang (> 10 s per input) is written
# to Tests/Fixtures/fuzz/<target>/ (which the normal test suite replays: Tests/IGFuzzTests) and
# makes the script exit 1 after the remaining targets have run. A hang is first run again alone:
# if it is fast then (under 5 s), the machine stalled; its file goes to Fuzz/.build/stalls/, the result
# line counts it, and fuzzing goes on for the rest of the time.
# Figures per target go to Fuzz/.build/stats.tsv (target, seconds, executions, status).
# FUZZ_JOBS=N runs N targets at once (default 1; `make fuzz-ci` uses one per core): each target
# still gets SECONDS of its own, so N cores finish N times sooner with the same executions.
# FUZZ_STATS=1 makes the onnx target print how deep its inputs got (into its log).
# FUZZ_FLAGS adds libFuzzer options (e.g. FUZZ_FLAGS=-max_len=128 for cli: long inputs are slow).
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-600}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(onnx png jpeg voc npy sidecar viewer-keys cli)
SWIFT=${SWIFT:-swift}

# SwiftPM passes `--sanitize fuzzer --sanitize address` to swiftc as two flags, `-sanitize=fuzzer
# -sanitize=address`, and swiftc keeps only the LAST one: the Swift code got AddressSanitizer but
# no coverage instrumentation (libFuzzer saw 45 counters, all in the C shims, and mutated blind).
# The one combined flag, appended to every Swift compile and link, restores both.
if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
    $SWIFT build -c release --package-path Fuzz --sanitize fuzzer --sanitize address \
        -Xswiftc -sanitize=fuzzer,address || exit 1
fi
BIN=${FUZZ_BIN:-Fuzz/.build/release/igcam-fuzz}

# The seed files of a target: the fixtures of its format (same lists as Tests/IGFuzzTests).
seeds() {
    case $1 in
        onnx) ls Tests/Fixtures/onnx/*.onnx Tests/Fixtures/limits/*.onnx ;;
        png) ls Tests/Fixtures/images/*.png Tests/Fixtures/limits/*.png ;;
        jpeg) ls Tests/Fixtures/images/*.jpg Tests/Fixtures/limits/*.jpg ;;
        voc) ls assets/voc/Annotations/*.xml ;;
        npy) ls Tests/Fixtures/images/*.npy Tests/Fixtures/limits/*.npy ;;
        sidecar) ls assets/models/*.json ;;
    esac
}

# Runs the fuzz binary on target $1 with the remaining arguments, with the sanitizer options.
fuzz_bin() {
    local t=$1; shift
    FUZZ_TARGET=$t ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0} "$BIN" "$@"
}

# A timeout (or a slow unit, >= 10 s) is a finding only if its input is slow on its own: the
# same input run alone, 3 times, each within half the limit (5 s). One that passes was a stall
# of the machine (on 2026-12-03 two fuzzers each reported an 11 s unit within the same second,
# inputs that take 53-104 ms alone), so its file goes to Fuzz/.build/stalls/ and fuzzing goes
# on. (Half, not all of it: finding 8 took 9.7 s alone, a real slow input just under 10 s.)
slow_alone() { # target file
    fuzz_bin "$1" -timeout=5 -runs=3 "$2" >"Fuzz/.build/stalls/check-$1.log" 2>&1 && return 1
    return 0
}

# Fuzzes one target; its one-line result goes to Fuzz/.build/<target>.result.
fuzz_one() {
    local t=$1 corpus=Fuzz/.build/corpus/$1 regress=Tests/Fixtures/fuzz/$1 log=Fuzz/.build/$1.log
    mkdir -p "$corpus" "$regress" Fuzz/.build/stalls
    for f in $(seeds "$t"); do cp -n "$f" "$corpus/seed-$(basename "$f")"; done
    : >"$log"
    local t0 left=$SECONDS_EACH rc execs=0 n part stalls=0 st=ok art
    t0=$(date +%s)
    while :; do
        # -rss_limit_mb: an input that makes igcam allocate > 2 GB is a bug (limits must refuse it first).
        # The log grows as it runs (tail -f it); this run's part of it is read back below.
        local from=$(($(stat -c %s "$log") + 1))
        # -len_control=100: libFuzzer's default, which it turns off when a custom mutator exists
        # (the driver has one, for onnx): every target grows its inputs gradually.
        fuzz_bin "$t" -max_total_time="$left" -timeout=10 -rss_limit_mb=2048 -len_control=100 \
            -artifact_prefix="$regress/" -print_final_stats=1 ${FUZZ_FLAGS:-} "$corpus" "$regress" >>"$log" 2>&1
        rc=$?
        tail -c +"$from" "$log" >"$log.part"
        n=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log.part" | grep -o '[0-9]*$' | tail -1)
        execs=$((execs + ${n:-0}))
        # Slow units and timeouts that are not slow alone were stalls: set aside, go on.
        local real=0
        for art in $(grep -o "Test unit written to $regress/[a-z-]*[0-9a-f]*" "$log.part" | awk '{print $NF}' | sort -u); do
            case $(basename "$art") in
                timeout-*|slow-unit-*)
                    if slow_alone "$t" "$art"; then real=1; else
                        echo "fuzz $t: $(basename "$art") is not slow alone (3 runs under 5 s each): a stall, moved to Fuzz/.build/stalls/" | tee -a "$log" >&2
                        mv "$art" Fuzz/.build/stalls/
                        stalls=$((stalls + 1))
                    fi ;;
                *) real=1 ;;
            esac
        done
        left=$((SECONDS_EACH - ($(date +%s) - t0)))
        if [ $rc -ne 0 ] && [ $real = 0 ] && grep -q 'ERROR: libFuzzer: timeout' "$log.part"; then
            [ $left -gt 5 ] && continue
            rc=0
        fi
        break
    done
    rm -f "$log.part"
    [ $rc -eq 0 ] || st=FAILED
    [ $stalls -eq 0 ] || st="$st ($stalls stalls set aside)"
    printf '%s\t%s\t%s\t%s\n' "$t" "$(($(date +%s) - t0))" "$execs" "$st" >"Fuzz/.build/$t.result"
    if [ $rc -ne 0 ]; then
        echo "fuzz $t FAILED (exit $rc): new file(s) in $regress/; last lines of $log:" >&2
        tail -n 40 "$log" >&2
    fi
}

JOBS=${FUZZ_JOBS:-1}
mkdir -p Fuzz/.build
running=0
for t in "${TARGETS[@]}"; do
    rm -f "Fuzz/.build/$t.result"
    echo "fuzz $t: $SECONDS_EACH s (log: Fuzz/.build/$t.log)"
    fuzz_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait
status=0
for t in "${TARGETS[@]}"; do
    if [ -f "Fuzz/.build/$t.result" ]; then
        tee -a Fuzz/.build/stats.tsv <"Fuzz/.build/$t.result"
        # "ok", or "ok (N stalls set aside)"
        [ "$(cut -f4 "Fuzz/.build/$t.result" | cut -d' ' -f1)" = ok ] || status=1
    else
        echo "fuzz $t: no result" >&2; status=1
    fi
done
exit $status
