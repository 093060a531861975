#!/usr/bin/env bash
# A throw-away Slurm cluster on this one machine: a controller and NODES virtual compute nodes
# (n1..nN, each one slurmd), for testing the programs under srun and sbatch as they run on a
# real cluster. Needs root and Debian's slurmctld, slurmd, slurm-client and munge.
#
#   scripts/slurm-cluster.sh start DIR [NODES]   configuration, state and logs in DIR (default 4 nodes)
#   scripts/slurm-cluster.sh stop DIR            stops what start started; safe to repeat
#
# After start, `export SLURM_CONF=DIR/slurm.conf` points srun, sbatch and sinfo at the cluster.
# The daemons listen on 127.0.0.1 only, on ports 16817 (controller) and 17001.. (nodes); each node
# declares 2 CPUs whatever the machine has, so several nodes share the real cores.
set -euo pipefail

usage() { echo "usage: scripts/slurm-cluster.sh start|stop DIR [NODES]" >&2; exit 2; }
[ $# -ge 2 ] || usage
action=$1
dir=$2
nodes=${3:-4}
case "$nodes" in ''|*[!0-9]*) usage ;; esac
[ "$nodes" -ge 1 ] && [ "$nodes" -le 16 ] || { echo "slurm-cluster.sh: NODES must be 1..16" >&2; exit 2; }

# Runs until the condition holds, at most `tries` tenths of a second.
wait_for() {  # wait_for TRIES COMMAND...
  local tries=$1
  shift
  for ((i = 0; i < tries; i++)); do
    "$@" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

kill_pidfile() {  # kill_pidfile FILE: stops the process the file names, if it still runs
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null; then
    kill "$pid" 2> /dev/null || true
    wait_for 50 sh -c "! kill -0 $pid" || kill -9 "$pid" 2> /dev/null || true
  fi
  rm -f "$file"
}

stop() {
  [ -d "$dir" ] || return 0
  if [ -f "$dir/slurm.conf" ] && [ -f "$dir/slurmctld.pid" ]; then
    SLURM_CONF=$dir/slurm.conf timeout 10 scontrol shutdown > /dev/null 2>&1 || true
  fi
  for ((n = 1; n <= 16; n++)); do kill_pidfile "$dir/slurmd-n$n.pid"; done
  kill_pidfile "$dir/slurmctld.pid"
  kill_pidfile "$dir/munged.pid"  # only a munged that start began itself has its pid here
}

start() {
  for tool in slurmctld slurmd sinfo munge munged; do
    command -v "$tool" > /dev/null || { echo "slurm-cluster.sh: $tool is missing (apt-get install slurmctld slurmd slurm-client munge)" >&2; exit 1; }
  done
  [ "$(id -u)" -eq 0 ] || { echo "slurm-cluster.sh: the daemons run as root: run it as root" >&2; exit 1; }
  mkdir -p "$dir/state" "$dir/spool"
  dir=$(cd "$dir" && pwd)

  # munge authenticates every message; a munged already running (the system's) is used as it is.
  if ! munge -n > /dev/null 2>&1; then
    [ -s /etc/munge/munge.key ] || runuser -u munge -- mungekey -c
    install -d -o munge -g munge -m 0755 /run/munge
    runuser -u munge -- munged --pid-file=/run/munge/munged.pid
    wait_for 50 munge -n || { echo "slurm-cluster.sh: munged did not start" >&2; exit 1; }
    cp /run/munge/munged.pid "$dir/munged.pid"
  fi

  local host
  host=$(hostname -s)
  {
    echo "# written by scripts/slurm-cluster.sh: $nodes virtual nodes on $host"
    echo "ClusterName=tinycnn"
    echo "SlurmctldHost=$host(127.0.0.1)"
    echo "SlurmctldPort=16817"
    echo "SlurmUser=root"
    echo "SlurmdUser=root"
    echo "AuthType=auth/munge"
    echo "CredType=cred/munge"
    echo "MpiDefault=pmi2"
    echo "ProctrackType=proctrack/linuxproc"
    echo "TaskPlugin=task/none"
    echo "JobAcctGatherType=jobacct_gather/none"
    echo "AccountingStorageType=accounting_storage/none"
    echo "SelectType=select/cons_tres"
    echo "SelectTypeParameters=CR_Core"
    echo "SlurmdParameters=config_overrides"
    echo "ReturnToService=2"
    echo "MailProg=/bin/true"
    echo "StateSaveLocation=$dir/state"
    echo "SlurmdSpoolDir=$dir/spool/%n"
    echo "SlurmctldPidFile=$dir/slurmctld.pid"
    echo "SlurmdPidFile=$dir/slurmd-%n.pid"
    echo "SlurmctldLogFile=$dir/slurmctld.log"
    echo "SlurmdLogFile=$dir/slurmd-%n.log"
    for ((n = 1; n <= nodes; n++)); do
      echo "NodeName=n$n NodeHostname=$host NodeAddr=127.0.0.1 Port=$((17000 + n)) CPUs=2 State=UNKNOWN"
    done
    echo "PartitionName=ci Nodes=n[1-$nodes] Default=YES MaxTime=INFINITE State=UP"
  } > "$dir/slurm.conf"
  export SLURM_CONF=$dir/slurm.conf

  slurmctld -c -i
  wait_for 100 scontrol ping || { echo "slurm-cluster.sh: slurmctld did not answer; see $dir/slurmctld.log" >&2; exit 1; }
  for ((n = 1; n <= nodes; n++)); do
    mkdir -p "$dir/spool/n$n"
    slurmd -N "n$n"
  done
  # Idle (not down, not unknown) on every node, within 30 s.
  all_idle() { [ "$(sinfo -h -N -o %t | grep -c '^idle')" -eq "$nodes" ]; }
  wait_for 300 all_idle || { echo "slurm-cluster.sh: the nodes did not come up:" >&2; sinfo -N >&2 || true; exit 1; }
  echo "slurm-cluster.sh: $nodes nodes idle; export SLURM_CONF=$dir/slurm.conf"
}

case "$action" in
  start) trap 'rc=$?; [ $rc -eq 0 ] || stop; exit $rc' EXIT; start ;;
  stop) stop ;;
  *) usage ;;
esac
