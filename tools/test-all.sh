#!/usr/bin/env bash
# Everything `make test` (= .ci/run) checks, printing how long each phase took.
#
#   tools/test-all.sh          (make test calls it after installing the Debian packages)
#
# 1. In the background, while the build runs (on a fresh machine they are mostly downloads):
#    the PyTorch parity fixtures and the exporters' wheels (tools/ci_fixtures.sh, log in
#    .build/fixtures.log) and Slurm's packages (tools/slurm-local.sh --install-only).
# 2. One release build of the package with its tests (-enable-testing). It links igcam too,
#    so there is no second build of the executable alone.
# 3. The test suite, once the fixtures are ready (the parity tests read them).
# 4. A real Slurm array of igcam evaluate (tools/slurm-local.sh).
# 5. Every fuzz target for FUZZ_CI_SECONDS under sanitizers (make fuzz-ci).
# Phases 3-5 all run even when an earlier one failed, so one CI log shows every failure; the
# exit status is 1 if any phase failed. Environment: SWIFT, CONFIG (release), MAKE.
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
CONFIG=${CONFIG:-release}
MAKE=${MAKE:-make}
mkdir -p .build

now() { date +%s; }
T_START=$(now)
summary=()
failed=0
record() { # name start status [end]
    local took=$(( ${4:-$(now)} - $2 )) st=ok
    [ "$3" = 0 ] || { st="FAILED (exit $3)"; failed=1; }
    summary+=("$(printf '%-34s %5d s  %s' "$1" "$took" "$st")")
    echo "test-all: $1: $st after $took s"
}
finish() {
    echo "test-all: ---- summary (total $(( $(now) - T_START )) s) ----"
    for line in "${summary[@]}"; do echo "test-all: $line"; done
    exit $failed
}

# A background job notes when it ended, so its own time is reported (not the time until waited for).
background() { # name command...
    local name=$1; shift
    ( "$@" >".build/$name.log" 2>&1; rc=$?; now >".build/$name.end"; exit $rc ) &
}
t=$(now)
rm -f .build/fixtures.end .build/slurm-install.end
background fixtures tools/ci_fixtures.sh .build/parity
FIXTURES=$!
background slurm-install tools/slurm-local.sh --install-only
SLURM_INSTALL=$!

t_build=$(now)
# -enable-testing: what `swift test` adds itself, so that `--skip-build` below finds the tests built
# (in release `swift build --build-tests` alone does not compile modules for @testable import).
$SWIFT build -c "$CONFIG" --build-tests -Xswiftc -enable-testing
build=$?
record "build (package + tests, $CONFIG)" "$t_build" $build

wait $FIXTURES; fixtures=$?
cat .build/fixtures.log
record "fixtures (background)" "$t" $fixtures "$(cat .build/fixtures.end)"
wait $SLURM_INSTALL; slurm_install=$?
cat .build/slurm-install.log
record "slurm packages (background)" "$t" $slurm_install "$(cat .build/slurm-install.end)"
[ $build = 0 ] || finish

t=$(now)
$SWIFT test -c "$CONFIG" --skip-build
record "swift test" "$t" $?

t=$(now)
tools/slurm-local.sh ".build/$CONFIG/igcam"
record "slurm array (tools/slurm-local.sh)" "$t" $?

t=$(now)
$MAKE --no-print-directory fuzz-ci
record "fuzz (make fuzz-ci)" "$t" $?
finish
