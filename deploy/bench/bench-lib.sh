# Sourced by the benchmark scripts here: logging, installing missing tools, and a work directory whose
# processes are stopped and which is removed when the script exits.

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }
trap 'log "failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

# install_missing PACKAGE...: installs them with apt-get (needs root), updating the index only when the
# first try fails; nothing when called with no package.
install_missing() {
  [ $# -gt 0 ] || return 0
  log "installing $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y "$@" >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y "$@" >/dev/null; }
}

# start_work PREFIX: $work becomes a fresh directory /tmp/PREFIX.XXXXXX and $pids an empty list; on exit
# every process in $pids gets TERM, then KILL after 5 s, and $work is removed. The exit status is kept.
start_work() {
  # chmod inside the substitution: an external command run here in the shell itself would leave bash 5.2
  # "wait_for: No record of process" noise from the EXIT trap.
  work=$(dir=$(mktemp -d "/tmp/$1.XXXXXX") && chmod 755 "$dir" && echo "$dir")
  pids=()
  trap stop_work EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

stop_work() {
  local rc=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
  exit $rc
}
