#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for sieve's scale-out test and for
# trying `sieve slurm` without a cluster.
#
#   scripts/slurm-local.sh install   # apt-get install slurm-wlm munge (Debian/Ubuntu, root)
#   scripts/slurm-local.sh start     # munged + slurmctld + slurmd; prints `export SLURM_CONF=...`
#   scripts/slurm-local.sh stop      # stops the daemons this script started
#
# Everything lives under $SIEVE_SLURM_DIR (default /tmp/sieve-slurm): the config, the
# state, the logs and the daemons' pid files. Nothing outside it is changed except the
# packages `install` adds. Client commands (sbatch, squeue, sinfo) need
# SLURM_CONF=$SIEVE_SLURM_DIR/slurm.conf in their environment.
set -euo pipefail

dir="${SIEVE_SLURM_DIR:-/tmp/sieve-slurm}"
conf="$dir/slurm.conf"

need_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "slurm-local.sh: $1 needs root (the daemons run as root here)" >&2
        exit 1
    fi
}

install() {
    if command -v sbatch >/dev/null && command -v slurmctld >/dev/null \
        && command -v slurmd >/dev/null && command -v munged >/dev/null; then
        return
    fi
    need_root install
    # A fresh machine may have no package lists yet: update once and retry.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null 2>&1 || {
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null
    }
}

start() {
    need_root start
    install
    stop quietly
    mkdir -p "$dir/state" "$dir/spool" "$dir/munge" "$dir/logs"
    local host cpus memory
    host="$(hostname -s)"
    cpus="$(nproc)"
    memory="$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)"

    # munge: our own socket and key, so a system munged (if any) is left alone.
    if [ ! -s "$dir/munge/munge.key" ]; then
        dd if=/dev/urandom of="$dir/munge/munge.key" bs=1 count=1024 status=none
    fi
    chmod 700 "$dir/munge"
    chmod 400 "$dir/munge/munge.key"
    munged --force --key-file="$dir/munge/munge.key" \
        --socket="$dir/munge/munge.socket" \
        --pid-file="$dir/munge/munged.pid" \
        --log-file="$dir/logs/munged.log" \
        --seed-file="$dir/munge/munged.seed"

    cat >"$conf" <<EOF
ClusterName=sieve-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/logs/slurmctld.log
SlurmdLogFile=$dir/logs/slurmd.log
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF="$conf"
    slurmctld -f "$conf"
    slurmd -f "$conf"
    # Wait until the node takes jobs.
    for _ in $(seq 1 60); do
        if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
            echo "export SLURM_CONF=$conf"
            return
        fi
        sleep 0.5
    done
    echo "slurm-local.sh: the node did not come up; logs in $dir/logs" >&2
    sinfo >&2 || true
    tail -n 20 "$dir/logs/"*.log >&2 || true
    exit 1
}

stop() {
    local pidfile pid
    for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
        pid="$(cat "$pidfile" 2>/dev/null || true)"
        if [ -n "$pid" ]; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 1 40); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.25
            done
        fi
        rm -f "$pidfile"
    done
    if [ "${1:-}" != quietly ]; then
        echo "stopped the local Slurm cluster in $dir"
    fi
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    *)
        echo "usage: $0 install|start|stop" >&2
        exit 2
        ;;
esac
