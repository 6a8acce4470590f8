#!/usr/bin/env bash
# A real Slurm run of a sharded `igcam evaluate`, on this one machine (make slurm-test, CI).
#
#   tools/slurm-local.sh [IGCAM_BINARY]      (default: .build/release/igcam)
#   tools/slurm-local.sh --install-only      (step 1 only: tools/test-all.sh runs it during the build)
#
# 1. Installs Debian's slurm-wlm and munge if missing (apt-get; root or sudo).
# 2. Writes a munge key and a one-node slurm.conf in a temporary directory (node = `hostname -s`
#    at 127.0.0.1, CPUs=2, no cgroups, no accounting, SlurmUser=root, free ports) and starts
#    munged, slurmctld and slurmd directly (no systemd), as root.
# 3. Submits `sbatch --array=0-2` of `igcam evaluate --methods grad-cam,integrated-grad-cam
#    --steps 8` on the bundled set (one CPU and --threads 1 per task, each task its own CSV),
#    waits for it, runs `igcam evaluate merge`, and compares the merged table with a
#    single-process run of the same configuration: every metric column must be identical
#    (ms/image is timing and is left out of the comparison).
# 4. Stops the daemons on exit, whatever happened (trap). On failure prints the Slurm logs.
#
# Environment: SLURM_TEST_TIMEOUT (seconds to wait for the array, default 900),
# SLURM_TEST_KEEP=1 keeps the temporary directory.
set -euo pipefail

install_only=0
if [ "${1:-}" = --install-only ]; then install_only=1; shift; fi
repo="$(cd "$(dirname "$0")/.." && pwd)"
igcam=""
[ $install_only = 1 ] || igcam="$(cd "$repo" && readlink -f "${1:-.build/release/igcam}")"
timeout_s="${SLURM_TEST_TIMEOUT:-900}"
[ $install_only = 1 ] || [ -x "$igcam" ] || { echo "slurm-local: error: no igcam binary at $igcam (build it first: swift build -c release --product igcam)" >&2; exit 1; }

say() { echo "slurm-local: $*"; }
die() { echo "slurm-local: error: $*" >&2; exit 1; }

# --- 1. packages -----------------------------------------------------------------------------
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
missing=""
for p in slurm-wlm munge; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    say "installing:$missing"
    $SUDO apt-get update -qq
    # policy-rc.d: the packages' scripts must not try to start services (there is no systemd here).
    DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
for b in munged slurmctld slurmd sbatch squeue sinfo scontrol; do
    command -v "$b" >/dev/null || die "$b not found after installing slurm-wlm and munge"
done
[ $install_only = 0 ] || { say "slurm-wlm and munge are installed"; exit 0; }

# --- 2. configuration ------------------------------------------------------------------------
tmp="$(mktemp -d /tmp/igcam-slurm.XXXXXX)"
chmod 755 "$tmp"
pids=()
cleanup() {
    status=$?
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    if [ "$status" != 0 ]; then
        for f in "$tmp"/log/*.log "$tmp"/out/*.out; do
            [ -f "$f" ] && { echo "----- $f (last 40 lines)"; tail -n 40 "$f"; }
        done
    fi
    if [ "${SLURM_TEST_KEEP:-}" = 1 ]; then echo "slurm-local: kept $tmp"; else rm -rf "$tmp"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$tmp"/{munge,state,spool,log,run,out}
chmod 755 "$tmp/munge"   # the socket must be reachable; the key itself is 0400
# A free TCP port on 127.0.0.1 from a range, skipping ones something listens on.
free_port() {
    local p
    for _ in $(seq 200); do
        p=$(( 20000 + RANDOM % 20000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
    die "no free port found"
}
ctld_port=$(free_port); slurmd_port=$(free_port)
while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done
host="$(hostname -s)"

# munge: its own key, socket and files under $tmp (--force: it runs as root, in /tmp).
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
munge_socket="$tmp/munge/munge.socket"
munged --force --key-file="$tmp/munge/munge.key" --socket="$munge_socket" \
       --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/log/munged.log" --seed-file="$tmp/munge/munged.seed" \
    || die "munged did not start (see above)"
for _ in $(seq 50); do [ -f "$tmp/munge/munged.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$tmp/munge/munged.pid")")
munge -S "$munge_socket" -n | unmunge -S "$munge_socket" >/dev/null || die "munge cannot encode and decode a credential"

conf="$tmp/slurm.conf"
cat > "$conf" <<EOF
ClusterName=igcam-ci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_socket
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 RealMemory=1024 State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$conf"

# --- daemons ---------------------------------------------------------------------------------
slurmctld -D -i -f "$conf" >"$tmp/log/slurmctld.stdout.log" 2>&1 &
pids+=($!)
slurmd -D -f "$conf" -N "$host" >"$tmp/log/slurmd.stdout.log" 2>&1 &
pids+=($!)
say "slurmctld on port $ctld_port, slurmd on $slurmd_port, node $host, files in $tmp"

state=""
for _ in $(seq 120); do
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || die "a Slurm daemon (pid $pid) exited during start-up"; done
    state="$(sinfo -h -n "$host" -o %T 2>/dev/null || true)"
    [ "$state" = idle ] && break
    sleep 0.5
done
[ "$state" = idle ] || die "node $host is not idle after 60 s (state: '${state:-no answer}')"
say "node $host is idle"

# --- 3. the array ----------------------------------------------------------------------------
methods="grad-cam,integrated-grad-cam"
common=(evaluate --methods "$methods" --steps 8 --threads 1 --format csv)
cat > "$tmp/shard.sh" <<EOF
#!/usr/bin/env bash
#SBATCH --array=0-2
#SBATCH --cpus-per-task=1
#SBATCH --output=$tmp/out/shard-%a.out
set -euo pipefail
cd "$tmp/out"
exec "$igcam" ${common[*]} --results "$tmp/out/shard-\$SLURM_ARRAY_TASK_ID.csv"
EOF
export IGCAM_ASSETS="$repo/assets"
start=$(date +%s)
job="$(sbatch --parsable "$tmp/shard.sh")" || die "sbatch refused the array job"
job="${job%%;*}"
say "submitted array job $job (3 tasks)"
while [ -n "$(squeue -h -j "$job" -o %i 2>/dev/null)" ]; do
    [ $(( $(date +%s) - start )) -lt "$timeout_s" ] || { scancel "$job" || true; die "array job $job not done after $timeout_s s"; }
    sleep 2
done
say "array job $job finished in $(( $(date +%s) - start )) s"
# Every task must have COMPLETED with exit code 0 (no accounting: scontrol keeps finished jobs MinJobAge s).
states="$(scontrol -o show job "$job" | grep -o 'JobState=[A-Z_]* .*ExitCode=[0-9]*:[0-9]*' | sed 's/JobState=\([A-Z_]*\).*ExitCode=\([0-9:]*\)/\1 \2/' | sort | uniq -c)"
echo "$states"
bad="$(scontrol -o show job "$job" | grep -v 'JobState=COMPLETED .*ExitCode=0:0' || true)"
[ -z "$bad" ] || die "some array tasks did not complete: $bad"
for k in 0 1 2; do [ -s "$tmp/out/shard-$k.csv" ] || die "task $k wrote no results file"; done

"$igcam" evaluate merge "$tmp"/out/shard-{0,1,2}.csv --format csv >"$tmp/merged.csv" 2>"$tmp/log/merge.log" \
    || { cat "$tmp/log/merge.log"; die "igcam evaluate merge failed"; }
say "single-process run of the same configuration"
(cd "$tmp/out" && "$igcam" "${common[@]}" --results "$tmp/out/single.csv" >"$tmp/single.csv" 2>"$tmp/log/single.log") \
    || { cat "$tmp/log/single.log"; die "the single-process run failed"; }

# Every column but the last (ms/image, a time) must be identical.
metrics() { cut -d, -f1-9 "$1"; }
echo "merged table (3 Slurm shards):"; cat "$tmp/merged.csv"
echo "single-process table:"; cat "$tmp/single.csv"
[ "$(wc -l < "$tmp/merged.csv")" -ge 3 ] || die "the merged table has no rows"
if ! diff <(metrics "$tmp/single.csv") <(metrics "$tmp/merged.csv"); then
    die "the merged table differs from the single-process table"
fi
# And row by row: the shards' rows together are the single run's rows (all but the two times).
rows() { for f in "$@"; do grep -v '^#' "$f" | tail -n +2; done | cut -d, -f1-11 | LC_ALL=C sort; }
if ! diff <(rows "$tmp/out/single.csv") <(rows "$tmp"/out/shard-{0,1,2}.csv) >/dev/null; then
    diff <(rows "$tmp/out/single.csv") <(rows "$tmp"/out/shard-{0,1,2}.csv) | head -20
    die "the shards' rows differ from the single-process run's rows"
fi
say "the 3-shard Slurm table equals the single-process table in every metric column, and its $(rows "$tmp/out/single.csv" | wc -l) rows are the same"
echo "slurm-local: 1 passed, 0 failed"
