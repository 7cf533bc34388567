#!/bin/bash
# End-to-end Slurm test of sharded sweeps: starts a one-node Slurm cluster on localhost
# (Debian slurm-wlm + munge, installed with apt-get when missing), submits the job array that
# `hopsim sweep --slurm-script` writes, waits for it, merges the shard databases and checks the
# merged table equals a single-machine run of the same spec.
#
# Usage: run_slurm_test.sh HOPSIM_BINARY SWEEP_SPEC [SHARDS]
# Exit codes: 0 pass, 1 fail, 77 skipped (not root, no apt, or Slurm/munge would not start).
# Recipe: slurm.conf(5) and slurmctld(8)/slurmd(8) of Debian slurm-wlm 22.05 (proctrack/linuxproc,
# task/none, cons_tres, a scratch state dir); munged(8). Daemons are stopped by the PIDs in their pid files.
set -u
HOPSIM=${1:?usage: run_slurm_test.sh HOPSIM_BINARY SWEEP_SPEC [SHARDS]}
SPEC=${2:?usage: run_slurm_test.sh HOPSIM_BINARY SWEEP_SPEC [SHARDS]}
SHARDS=${3:-4}
HOPSIM=$(readlink -f "$HOPSIM")
SPEC=$(readlink -f "$SPEC")

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root to run slurmctld/slurmd and munged"

# One cluster per machine at a time: the daemons listen on fixed ports and register this host by
# name, so a second checkout's suite running now (a build tree beside another) would take over
# the first one's job array. Wait for it instead (the lock goes with this shell).
exec 9>/tmp/hopsim-slurm-test.lock
flock 9 || fail "could not lock /tmp/hopsim-slurm-test.lock"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  command -v apt-get >/dev/null || skip "slurm-wlm/munge missing and no apt-get"
  echo "installing slurm-wlm and munge with apt-get"
  (apt-get install -y slurm-wlm munge >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get install -y slurm-wlm munge >/dev/null 2>&1; }) ||
    skip "apt-get could not install slurm-wlm and munge"
fi

WORK=$(mktemp -d /tmp/hopsim-slurm.XXXXXX)
chmod 755 "$WORK"
STARTED_MUNGE=0
cleanup() {
  for pidfile in "$WORK/slurmd.pid" "$WORK/slurmctld.pid"; do
    [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  if [ "$STARTED_MUNGE" = 1 ] && [ -s /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null
  fi
  sleep 1
  [ "${KEEP_WORK:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

# munge: a key, then the daemon (unless one is already running).
if ! munge -n >/dev/null 2>&1; then
  mkdir -p /etc/munge /run/munge /var/log/munge /var/lib/munge
  if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
  fi
  chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null
  chmod 400 /etc/munge/munge.key
  if command -v runuser >/dev/null && id munge >/dev/null 2>&1; then
    runuser -u munge -- munged --force >/dev/null 2>&1 || munged --force >/dev/null 2>&1
  else
    munged --force >/dev/null 2>&1
  fi
  STARTED_MUNGE=1
  sleep 1
  munge -n >/dev/null 2>&1 || skip "munged did not start"
fi

HOST=$(hostname)
CPUS=$(nproc)
MEM=$(awk '/MemTotal/ {print int($2/1024) - 512}' /proc/meminfo)
CONF="$WORK/slurm.conf"
mkdir -p "$WORK/state" "$WORK/spool" "$WORK/out"
cat >"$CONF" <<CONF_EOF
ClusterName=hopsimtest
SlurmctldHost=$HOST
SlurmUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
MpiDefault=none
SchedulerType=sched/backfill
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF_EOF
export SLURM_CONF="$CONF"
slurmctld -f "$CONF" || skip "slurmctld did not start (see $CONF)"
slurmd -f "$CONF" || skip "slurmd did not start"
for _ in $(seq 1 30); do
  sinfo -h -o %T 2>/dev/null | grep -q idle && break
  sleep 1
done
sinfo -h -o %T 2>/dev/null | grep -q idle || { KEEP_WORK=1; skip "the Slurm node did not become idle (logs in $WORK)"; }

# Reference: the whole sweep on this machine.
"$HOPSIM" sweep "$SPEC" -o "$WORK/single.db" --jobs 1 --progress none >/dev/null ||
  fail "single-machine sweep failed"

# The job array, as a user would submit it.
"$HOPSIM" sweep "$SPEC" --slurm-script "$WORK/sweep.sh" --shards "$SHARDS" --jobs 1 \
  --slurm-dir "$WORK/out" >/dev/null || fail "could not write the Slurm script"
JOB=$(sbatch --parsable "$WORK/sweep.sh") || fail "sbatch refused the script"
echo "submitted job array $JOB ($SHARDS tasks)"
for _ in $(seq 1 300); do
  [ -z "$(squeue -h -j "$JOB" 2>/dev/null)" ] && break
  sleep 1
done
[ -z "$(squeue -h -j "$JOB" 2>/dev/null)" ] || fail "job array $JOB still running after 300 s"

for ((i = 0; i < SHARDS; i++)); do
  [ -s "$WORK/out/shard-$i.db" ] || { cat "$WORK"/out/slurm-*.out; fail "shard $i wrote no database"; }
done
"$HOPSIM" results merge "$WORK/merged.db" "$WORK"/out/shard-*.db || fail "merge failed"
"$HOPSIM" results export "$WORK/single.db" -o "$WORK/single.csv" >/dev/null
"$HOPSIM" results export "$WORK/merged.db" -o "$WORK/merged.csv" >/dev/null
if ! diff -u "$WORK/single.csv" "$WORK/merged.csv"; then
  fail "merged shard table differs from the single-machine run"
fi
echo "PASS: $SHARDS Slurm array tasks merged to the same $(($(wc -l <"$WORK/merged.csv") - 1)) rows as a single run"
