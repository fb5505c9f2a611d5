#!/usr/bin/env bash
# Delta replication: yunjing sync (DeltaAgent against the artifact server) vs the rsync daemon in
# delta mode, on this machine, in one run.
#
#   deploy/bench/sync-vs-rsync.sh                          # 256 MiB, 256 scattered 10 KiB changes
#   SIZE_MIB=64 CHANGES=64 deploy/bench/sync-vs-rsync.sh   # a quicker run
#
# Environment: SIZE_MIB (default 256), CHANGES (default 256), CHANGE_KIB (default 10), AGENTS
# (default 4), SEED (default 1), ROUNDS (single transfers, each tool in turn; medians reported;
# default 3), OUT_DIR (default docs/benchmarks under the repository root).
#
# What it does, all on 127.0.0.1 with free ports:
#   data     OLD: SIZE_MIB seeded random bytes; NEW: OLD with CHANGES regions of CHANGE_KIB
#            overwritten, one at a random offset in each of CHANGES equal slices (make-data.py).
#   relays   byte-counting TCP relays (relay.py) in front of each server: every byte either peer
#            sends over the connection is counted (TCP payload, both directions), the same way for both.
#   rsync    `rsync --daemon` (module with NEW) behind a relay; the client holds OLD and runs
#            `rsync --stats --no-whole-file` (delta mode) to update it; once more with --fsync,
#            since the agent fsyncs before it activates and rsync by default does not.
#   yunjing  `yunjing sync serve` (an origin store with OLD then NEW published, signed) behind a
#            relay; an agent store holding OLD's revision runs `yunjing sync pull` (verify the
#            signed manifest, reuse local chunks, fetch missing chunk spans, verify, activate).
#   resident a `yunjing sync follow` agent (as every node runs one: a JVM that stays up, polling the
#            manifest every 0.1 s) that pulled OLD when it started takes NEW as soon as the
#            origin's ref moves: the time from that move (the ref file's mtime) to activation;
#            then ROUNDS-1 more versions, each NEW's predecessor changed in CHANGES other places
#            (the same delta size), and the median of the ROUNDS times.
#   fan-out  AGENTS agent stores holding OLD pull NEW at once through one `yunjing proxy` (the
#            regional cache) whose parent is the origin's relay: origin egress vs one agent's
#            transfer. rsync's daemon serving AGENTS clients at once is measured the same way.
# Writes $OUT_DIR/sync-vs-rsync.md and .json. Installs rsync and python3 with apt-get when
# missing (needs root). Stops everything it started on exit. Not run by CI.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$root/deploy/bench/sync"
SIZE_MIB=${SIZE_MIB:-256}
CHANGES=${CHANGES:-256}
CHANGE_KIB=${CHANGE_KIB:-10}
AGENTS=${AGENTS:-4}
SEED=${SEED:-1}
ROUNDS=${ROUNDS:-3}
OUT_DIR=${OUT_DIR:-$root/docs/benchmarks}
command_line="SIZE_MIB=$SIZE_MIB CHANGES=$CHANGES CHANGE_KIB=$CHANGE_KIB AGENTS=$AGENTS SEED=$SEED ROUNDS=$ROUNDS deploy/bench/sync-vs-rsync.sh"
yunjing="$root/deploy/bin/yunjing"
REPO=bench/model

# shellcheck source=deploy/bench/bench-lib.sh
. "$root/deploy/bench/bench-lib.sh"

need_install=()
command -v rsync >/dev/null 2>&1 || need_install+=(rsync)
command -v python3 >/dev/null 2>&1 || need_install+=(python3)
command -v curl >/dev/null 2>&1 || need_install+=(curl)
install_missing "${need_install[@]}"

start_work yunjing-sync-bench

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { for _ in $(seq 600); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done; log "no answer from $1"; return 1; }
wait_port() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
counts() { sleep 0.5; cat "$1"; }   # "down up connections", flushed every 0.1 s by the relay
relay() {  # LISTEN TARGET COUNTS
  python3 "$here/relay.py" "$1" "$2" "$3" & pids+=($!)
  wait_port "$1"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
log "building yunjing (if needed)"
"$yunjing" --version >/dev/null

log "data: $SIZE_MIB MiB, $CHANGES changes of $CHANGE_KIB KiB"
mkdir -p "$work/old" "$work/new"
python3 "$here/make-data.py" "$work/old/model.bin" "$work/new/model.bin" "$SIZE_MIB" "$CHANGES" "$CHANGE_KIB" "$SEED" >/dev/null

# ---- yunjing origin: OLD published, served, a relay in front --------------------------------------
"$yunjing" sync keygen --out "$work/keys" >/dev/null
publish() { "$yunjing" sync publish --store "$work/origin" --key "$work/keys/manifest-key.pem" \
  --public-key "$work/keys/manifest-key.pub.pem" --repo "$REPO" "$1" >&2; }
publish "$work/old"
p_origin=$(free_port); p_origin_relay=$(free_port)
"$yunjing" sync serve --store "$work/origin" --listen "127.0.0.1:$p_origin" > "$work/serve.log" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$p_origin/readyz"
relay "$p_origin_relay" "$p_origin" "$work/origin-relay.counts"

pull() {  # STORE FROM_PORT: prints the agent's JSON line
  "$yunjing" sync pull --from "http://127.0.0.1:$2/" --store "$1" --public-key "$work/keys/manifest-key.pub.pem" --repo "$REPO"
}
# The origin is a long-running server: warm its delta paths (block digests, span lists) with a small
# repository of its own before anything is measured, so no measured pull pays its JIT warm-up.
log "origin warm-up: a delta pull of a small repository (not measured)"
mkdir -p "$work/warm-old" "$work/warm-new"
python3 "$here/make-data.py" "$work/warm-old/w.bin" "$work/warm-new/w.bin" 16 16 "$CHANGE_KIB" "$SEED" >/dev/null
for v in old new; do
  "$yunjing" sync publish --store "$work/origin" --key "$work/keys/manifest-key.pem" \
    --public-key "$work/keys/manifest-key.pub.pem" --repo bench/warmup "$work/warm-$v" >/dev/null
  "$yunjing" sync pull --from "http://127.0.0.1:$p_origin/" --store "$work/warm-agent" \
    --public-key "$work/keys/manifest-key.pub.pem" --repo bench/warmup --progress none >/dev/null 2>&1
done

log "agents: initial pull of OLD (direct, not measured)"
pull "$work/agent0" "$p_origin" >/dev/null
for i in $(seq 1 "$AGENTS"); do cp -a "$work/agent0" "$work/agent$i"; done

log "resident agent: starts, pulls OLD (not measured)"
"$yunjing" sync follow --from "http://127.0.0.1:$p_origin_relay/" --store "$work/resident" --interval 0.1 \
  --public-key "$work/keys/manifest-key.pub.pem" --repo "$REPO" > "$work/follow.out" 2> "$work/follow.err" & follow_pid=$!
pids+=($follow_pid)
follow_line() {  # N: waits for the follower's Nth JSON line and prints it
  for _ in $(seq 1200); do
    [ "$(wc -l < "$work/follow.out")" -ge "$1" ] && { sed -n "${1}p" "$work/follow.out"; return 0; }
    kill -0 "$follow_pid" 2>/dev/null || break
    sleep 0.05
  done
  log "the resident agent printed no line $1:"; cat "$work/follow.err" >&2; return 1
}
follow_line 1 >/dev/null

# ---- rsync daemon: NEW, a relay in front; clients hold OLD ----------------------------------------
p_rsync=$(free_port); p_rsync_relay=$(free_port)
cat > "$work/rsyncd.conf" <<CONF
pid file = $work/rsyncd.pid
use chroot = no
[bench]
  path = $work/new
  read only = yes
CONF
rsync --daemon --no-detach --config="$work/rsyncd.conf" --port="$p_rsync" --address=127.0.0.1 & pids+=($!)
wait_port "$p_rsync"
relay "$p_rsync_relay" "$p_rsync" "$work/rsync-relay.counts"
for i in $(seq 0 "$AGENTS") f; do mkdir -p "$work/rsync$i"; cp "$work/old/model.bin" "$work/rsync$i/model.bin"; done

# ---- publish NEW: the resident agent takes it at once ----------------------------------------------
# ROUNDS versions, each a delta of the same size from the one before (NEW, then NEW changed again in
# CHANGES other places, …): a resident agent's first delta after its start pays its JIT warm-up, the
# later ones show it as it runs on a node. Then main goes back to NEW for the single transfers below.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
resident_secs=()
resident_take() {  # DIR N: publishes DIR (not part of the transfer), waits for the agent's Nth line
  local t0 t1 json moved activated
  t0=$(now); publish "$1"; t1=$(now)
  if [ "$2" -eq 2 ]; then tp0=$t0; tp1=$t1; fi   # the publish of NEW is the one reported
  json=$(follow_line "$2")
  moved=$(stat -c %.Y "$work/origin/repos/$REPO/refs/main")
  activated=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["activatedAt"] / 1000)' "$json")
  cmp "$work/resident/repos/$REPO/revisions/$(cat "$work/resident/repos/$REPO/refs/main")/model.bin" "$1/model.bin"
  resident_secs+=("$(secs "$moved" "$activated")")
  resident_json=$json
}
log "yunjing: publish NEW at the origin; the resident agent takes it, then $((ROUNDS - 1)) more versions"
resident_take "$work/new" 2
previous="$work/new"
for round in $(seq 2 "$ROUNDS"); do
  mkdir -p "$work/next$round"
  python3 "$here/make-data.py" --mutate "$previous/model.bin" "$work/next$round/model.bin" "$CHANGES" "$CHANGE_KIB" \
    "$((SEED + round))" >/dev/null
  resident_take "$work/next$round" "$((round + 1))"
  previous="$work/next$round"
done
kill "$follow_pid"; wait "$follow_pid" 2>/dev/null || true
[ "$ROUNDS" -gt 1 ] && publish "$work/new"   # main names NEW again (the same revision, a newer manifest)
resident_rounds=$(IFS=,; echo "${resident_secs[*]}")
yunjing_resident="{\"seconds\":$(median "${resident_secs[@]}"),\"rounds\":[$resident_rounds],\"agent\":$resident_json}"

# ---- single transfer, ROUNDS times: rsync, rsync --fsync, yunjing; each from the old version -----------
# The agent fsyncs what it writes before activating; rsync does not unless asked (--fsync).
cp -a "$work/agent0" "$work/agent-old"
rsync_secs=(); rsyncf_secs=(); yunjing_secs=()
for round in $(seq "$ROUNDS"); do
  if [ "$round" -gt 1 ]; then  # back to the old version (round 1 starts from the set-up above)
    cp "$work/old/model.bin" "$work/rsync0/model.bin"; cp "$work/old/model.bin" "$work/rsyncf/model.bin"
    rm -rf "$work/agent0"; cp -a "$work/agent-old" "$work/agent0"
  fi

  sync; log "round $round: rsync, one client"
  read -r r_before r_up_before _ < "$work/rsync-relay.counts"
  t0=$(now)
  rsync --stats --no-whole-file "rsync://127.0.0.1:$p_rsync_relay/bench/model.bin" "$work/rsync0/model.bin" > "$work/rsync0.stats"
  t1=$(now)
  read -r r_down r_up _ <<< "$(counts "$work/rsync-relay.counts")"
  cmp "$work/rsync0/model.bin" "$work/new/model.bin"
  rsync_secs+=("$(secs "$t0" "$t1")")

  sync; log "round $round: rsync --fsync, one client"
  t0=$(now)
  rsync --fsync --no-whole-file "rsync://127.0.0.1:$p_rsync_relay/bench/model.bin" "$work/rsyncf/model.bin"
  t1=$(now)
  cmp "$work/rsyncf/model.bin" "$work/new/model.bin"
  rsyncf_secs+=("$(secs "$t0" "$t1")")

  sync; log "round $round: yunjing, one agent"
  read -r y_before y_up_before _ < "$work/origin-relay.counts"
  t0=$(now)
  agent_json=$(pull "$work/agent0" "$p_origin_relay")
  t1=$(now)
  read -r y_down y_up _ <<< "$(counts "$work/origin-relay.counts")"
  cmp "$work/agent0/repos/$REPO/revisions/$(cat "$work/agent0/repos/$REPO/refs/main")/model.bin" "$work/new/model.bin"
  yunjing_secs+=("$(secs "$t0" "$t1")")
done
rounds_json() { local IFS=,; printf '[%s]' "$*"; }
# Bytes are the same every round (checked by the relay counts of the last one).
rsync_single="{\"seconds\":$(median "${rsync_secs[@]}"),\"rounds\":$(rounds_json "${rsync_secs[@]}"),"
rsync_single+="\"down\":$((r_down - r_before)),\"up\":$((r_up - r_up_before)),"
rsync_single+="\"rsyncTotalRead\":$(grep -oP 'Total bytes received: \K[0-9,]+' "$work/rsync0.stats" | tr -d ,)}"
rsync_fsync="{\"seconds\":$(median "${rsyncf_secs[@]}"),\"rounds\":$(rounds_json "${rsyncf_secs[@]}")}"
yunjing_single="{\"seconds\":$(median "${yunjing_secs[@]}"),\"rounds\":$(rounds_json "${yunjing_secs[@]}"),"
yunjing_single+="\"down\":$((y_down - y_before)),\"up\":$((y_up - y_up_before)),\"agent\":$agent_json}"

# ---- fan-out: AGENTS at once, yunjing through one regional cache; rsync straight to the daemon --------
p_regional=$(free_port)
"$yunjing" proxy --id regional --listen "127.0.0.1:$p_regional" --parent "127.0.0.1:$p_origin_relay" \
  --parent-readyz "http://127.0.0.1:$p_origin/readyz" > "$work/proxy.log" 2>&1 & pids+=($!)
wait_http "http://127.0.0.1:$p_regional/api/models/$REPO"   # the proxy forwards once its parent is healthy
sync; log "yunjing: $AGENTS agents through one regional cache"
read -r f_before f_up_before _ < "$work/origin-relay.counts"
t0=$(now)
fan_pids=()
for i in $(seq 1 "$AGENTS"); do pull "$work/agent$i" "$p_regional" > "$work/fan$i.json" & fan_pids+=($!); done
for pid in "${fan_pids[@]}"; do wait "$pid"; done
t1=$(now)
read -r f_down f_up _ <<< "$(counts "$work/origin-relay.counts")"
# The model info probe above went through the relay before f_before was read, so it is not counted.
fan_agents=$(cat "$work"/fan*.json | paste -sd, -)
yunjing_fan="{\"seconds\":$(secs "$t0" "$t1"),\"originDown\":$((f_down - f_before)),\"originUp\":$((f_up - f_up_before)),\"agents\":[$fan_agents]}"

sync; log "rsync: $AGENTS clients at once"
read -r rf_before rf_up_before _ < "$work/rsync-relay.counts"
t0=$(now)
fan_pids=()
for i in $(seq 1 "$AGENTS"); do
  rsync --no-whole-file "rsync://127.0.0.1:$p_rsync_relay/bench/model.bin" "$work/rsync$i/model.bin" & fan_pids+=($!)
done
for pid in "${fan_pids[@]}"; do wait "$pid"; done
t1=$(now)
read -r rf_down rf_up _ <<< "$(counts "$work/rsync-relay.counts")"
rsync_fan="{\"seconds\":$(secs "$t0" "$t1"),\"originDown\":$((rf_down - rf_before)),\"originUp\":$((rf_up - rf_up_before))}"

machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), Linux $(uname -r)"
versions="$(rsync --version | head -1); $("$root/deploy/bin/find-jdk" >/dev/null 2>&1 && "$($root/deploy/bin/find-jdk)/bin/java" -version 2>&1 | head -1)"
mkdir -p "$OUT_DIR"
python3 "$here/report.py" "$OUT_DIR" <<JSON
{"generated":"$(date -u +%Y-%m-%dT%H:%M:%SZ)","command":"$command_line","machine":"$machine","loadStart":"$load_start","loadEnd":"$(cut -d' ' -f1-3 /proc/loadavg)","versions":$(printf '%s' "$versions" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))'),
 "data":{"sizeMiB":$SIZE_MIB,"changes":$CHANGES,"changeKiB":$CHANGE_KIB,"agents":$AGENTS,"seed":$SEED},
 "publishSeconds":$(secs "$tp0" "$tp1"),
 "single":{"rsync":$rsync_single,"rsyncFsync":$rsync_fsync,"yunjing":$yunjing_single,"resident":$yunjing_resident},
 "fanout":{"rsync":$rsync_fan,"yunjing":$yunjing_fan}}
JSON
log "wrote $OUT_DIR/sync-vs-rsync.md and .json"
