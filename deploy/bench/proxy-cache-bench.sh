#!/usr/bin/env bash
# Cache-HIT throughput of yunjing's proxy against nginx proxy_cache, on this machine, in one run.
#
#   deploy/bench/proxy-cache-bench.sh                 # 10 s per measurement (what docs/benchmarks/ holds)
#   DURATION=60 WARM=15 H2_REQUESTS=2000000 deploy/bench/proxy-cache-bench.sh   # the full-length run
#   ACCESS_LOG=1 deploy/bench/proxy-cache-bench.sh    # both peers write a JSON access log line per request
#   DISK_CACHE=1 deploy/bench/proxy-cache-bench.sh    # yunjing with a disk tier, restarted before measuring
#
# Environment: DURATION (s per wrk measurement, default 10), WARM (s of discarded load before each
# measurement, default 5), H2_REQUESTS (h2load requests per measurement, default 200000),
# OUT_DIR (default docs/benchmarks under the repository root), ACCESS_LOG (1: nginx logs each request
# as a JSON line through a 64 KiB buffer, yunjing with --access-log; results go to
# proxy-cache-hit-access-log.{md,json} instead), DISK_CACHE (1: yunjing runs with --cache-dir and is
# restarted after the warm-up, so its memory cache is empty and 1 MiB hits come from its disk tier, sent
# with sendfile to HTTP/1.1 clients, as nginx proxy_cache serves from its cache files; "-disk" is added to
# the report's name).
#
# What it does, all on 127.0.0.1 with free ports:
#   origin   nginx serving /1k (1 KiB) and /1m (1 MiB) with Cache-Control: max-age=3600, and
#            `location = /readyz { return 200; }`, logging every request it serves (to count misses);
#   nginx    nginx proxy_cache in front of the origin (worker_processes = nproc, access_log off, sendfile,
#            keepalive to the origin, keepalive_requests raised so neither peer reconnects mid-run),
#            one HTTP/1.1 port and one h2c (prior knowledge) port;
#   yunjing  `deploy/bin/yunjing proxy` in front of the same origin (HTTP/1.1 and h2c on one port,
#            memory cache, default JVM options of the launcher).
# Both caches are warmed and checked to answer hits (X-Cache-Status: HIT / Cache-Status: ...; hit), then
# each scenario runs on nginx and right after on yunjing, same load, same duration:
#   wrk -t2 -c64 /1k (HTTP/1.1), h2load -c64 -m10 -t2 /1k (h2c prior knowledge), wrk -t2 -c16 /1m.
# Each measurement is preceded by WARM seconds of the same load (JIT warm-up; results discarded).
# The origin's request count before/after each measurement proves the measured requests were hits.
# Writes $OUT_DIR/proxy-cache-hit.md and $OUT_DIR/proxy-cache-hit.json. Installs nginx, wrk and
# nghttp2-client (h2load) with apt-get when missing (needs root). Stops everything it started on exit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DURATION=${DURATION:-10}
WARM=${WARM:-5}
H2_REQUESTS=${H2_REQUESTS:-200000}
OUT_DIR=${OUT_DIR:-$root/docs/benchmarks}
command_line="$(printf '%q ' "$0" "$@")"
ACCESS_LOG=${ACCESS_LOG:-0}
DISK_CACHE=${DISK_CACHE:-0}
command_line="DURATION=$DURATION WARM=$WARM H2_REQUESTS=$H2_REQUESTS ${command_line% }"
report_name=proxy-cache-hit
if [ "$ACCESS_LOG" = 1 ]; then
  command_line="ACCESS_LOG=1 $command_line"
  report_name=proxy-cache-hit-access-log
fi
if [ "$DISK_CACHE" = 1 ]; then
  command_line="DISK_CACHE=1 $command_line"
  report_name=$report_name-disk
fi

# shellcheck source=deploy/bench/bench-lib.sh
. "$root/deploy/bench/bench-lib.sh"

# ---- tools ------------------------------------------------------------------------------------------
need_install=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_install+=(nginx)
command -v wrk >/dev/null 2>&1 || need_install+=(wrk)
command -v h2load >/dev/null 2>&1 || need_install+=(nghttp2-client)
command -v curl >/dev/null 2>&1 || need_install+=(curl)
command -v python3 >/dev/null 2>&1 || need_install+=(python3)
install_missing ${need_install[@]+"${need_install[@]}"}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# ---- processes and cleanup ----------------------------------------------------------------------------
start_work yunjing-bench

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_http() {  # URL: waits up to 60 s for a 200
  for _ in $(seq 600); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return 0
    sleep 0.1
  done
  die "no 200 from $1 within 60 s"
}

# ---- build ---------------------------------------------------------------------------------------------
log "building yunjing (deploy/bin/yunjing --help)"
"$root/deploy/bin/yunjing" --help >/dev/null

# ---- origin --------------------------------------------------------------------------------------------
origin_port=$(free_port)
mkdir -p "$work/origin/www" "$work/origin/logs"
head -c 1024 /dev/urandom >"$work/origin/www/1k"
head -c $((1024 * 1024)) /dev/urandom >"$work/origin/www/1m"
chmod -R a+rX "$work/origin"
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"
cat >"$work/origin/nginx.conf" <<EOF
$user_line
worker_processes 1;
daemon off;
pid $work/origin/nginx.pid;
error_log $work/origin/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log $work/origin/logs/access.log;
  client_body_temp_path $work/origin/client_body;
  proxy_temp_path $work/origin/proxy;
  fastcgi_temp_path $work/origin/fastcgi;
  uwsgi_temp_path $work/origin/uwsgi;
  scgi_temp_path $work/origin/scgi;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$origin_port;
    root $work/origin/www;
    location = /readyz { access_log off; return 200; }
    location / { add_header Cache-Control "max-age=3600"; }
  }
}
EOF
"$NGINX" -p "$work/origin" -e "$work/origin/logs/error.log" -c "$work/origin/nginx.conf" &
pids+=($!)
wait_http "http://127.0.0.1:$origin_port/readyz"
origin_requests() { wc -l <"$work/origin/logs/access.log"; }

# ---- nginx proxy_cache ---------------------------------------------------------------------------------
cores=$(nproc)
nginx_port=$(free_port)
nginx_h2_port=$(free_port)
mkdir -p "$work/nginx/cache" "$work/nginx/logs"
nginx_access_log="access_log off;"
yunjing_access_log=()
if [ "$ACCESS_LOG" = 1 ]; then
  # Roughly the fields of yunjing's line, JSON-escaped, buffered as nginx users do for busy servers.
  nginx_access_log="log_format json escape=json '{\"time\":\"\$time_iso8601\",\"request_id\":\"\$request_id\",\"client\":\"\$remote_addr\",\"protocol\":\"\$server_protocol\",\"method\":\"\$request_method\",\"host\":\"\$host\",\"target\":\"\$request_uri\",\"status\":\$status,\"bytes\":\$body_bytes_sent,\"duration\":\$request_time,\"cache\":\"\$upstream_cache_status\",\"parent\":\"\$upstream_addr\",\"user_agent\":\"\$http_user_agent\"}';
  access_log $work/nginx/logs/access.jsonl json buffer=64k;"
  yunjing_access_log=(--access-log "$work/yunjing-access.jsonl")
fi
cat >"$work/nginx/nginx.conf" <<EOF
$user_line
worker_processes $cores;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  $nginx_access_log
  sendfile on;
  tcp_nopush on;
  keepalive_requests 10000000;
  client_body_temp_path $work/nginx/client_body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  upstream origin {
    server 127.0.0.1:$origin_port;
    keepalive 32;
  }
  proxy_cache_path $work/nginx/cache levels=1:2 keys_zone=bench:10m max_size=1g inactive=60m use_temp_path=off;
  server {
    listen 127.0.0.1:$nginx_port;
    listen 127.0.0.1:$nginx_h2_port http2;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache bench;
      proxy_cache_valid 200 10m;
      add_header X-Cache-Status \$upstream_cache_status;
    }
  }
}
EOF
"$NGINX" -p "$work/nginx" -e "$work/nginx/logs/error.log" -c "$work/nginx/nginx.conf" &
pids+=($!)
nginx_pid=$!

# ---- yunjing proxy -------------------------------------------------------------------------------------
yunjing_port=$(free_port)
yunjing_cache=()
if [ "$DISK_CACHE" = 1 ]; then
  yunjing_cache=(--cache-dir "$work/yunjing-cache")
fi
start_yunjing() {
  "$root/deploy/bin/yunjing" proxy --listen "127.0.0.1:$yunjing_port" --parent "127.0.0.1:$origin_port" \
    --parent-readyz "http://127.0.0.1:$origin_port/readyz" --id bench-yunjing ${yunjing_access_log[@]+"${yunjing_access_log[@]}"} \
    ${yunjing_cache[@]+"${yunjing_cache[@]}"} >>"$work/yunjing.log" 2>&1 &
  pids+=($!)   # the launcher execs java, so this is the JVM's pid
  yunjing_pid=$!
}
start_yunjing

wait_http "http://127.0.0.1:$nginx_port/1k"
wait_http "http://127.0.0.1:$yunjing_port/1k"
log "yunjing: $(head -1 "$work/yunjing.log")"

# ---- warm and check hits -------------------------------------------------------------------------------
hit_header() {  # URL [curl options]: the cache header of the response
  curl -s -o /dev/null -D - "${@:2}" "$1" | tr -d '\r' | grep -iE '^(x-cache-status|cache-status):' | tr '\n' ' '
}
for path in /1k /1m; do
  for _ in 1 2 3; do
    curl -s -o /dev/null "http://127.0.0.1:$nginx_port$path"
    curl -s -o /dev/null "http://127.0.0.1:$yunjing_port$path"
  done
  n=$(hit_header "http://127.0.0.1:$nginx_port$path")
  n2=$(hit_header "http://127.0.0.1:$nginx_h2_port$path" --http2-prior-knowledge)
  y=$(hit_header "http://127.0.0.1:$yunjing_port$path")
  y2=$(hit_header "http://127.0.0.1:$yunjing_port$path" --http2-prior-knowledge)
  log "nginx $path: $n | h2c: $n2"
  log "yunjing $path: $y | h2c: $y2"
  echo "$n" | grep -qi 'x-cache-status: HIT' || die "nginx $path is not a hit: $n"
  echo "$n2" | grep -qi 'x-cache-status: HIT' || die "nginx h2c $path is not a hit: $n2"
  echo "$y" | grep -qiE 'cache-status:.*; *hit' || die "yunjing $path is not a hit: $y"
  echo "$y2" | grep -qiE 'cache-status:.*; *hit' || die "yunjing h2c $path is not a hit: $y2"
done
if [ "$DISK_CACHE" = 1 ]; then
  # Restarted: the memory cache is empty, the entries are on disk (written before the stop returned).
  kill -TERM "$yunjing_pid"
  for _ in $(seq 100); do kill -0 "$yunjing_pid" 2>/dev/null || break; sleep 0.1; done
  start_yunjing
  wait_http "http://127.0.0.1:$yunjing_port/1k"
  for path in /1k /1m; do
    y=$(hit_header "http://127.0.0.1:$yunjing_port$path")
    log "yunjing after restart $path: $y"
    echo "$y" | grep -qiE 'cache-status:.*; *hit' || die "yunjing $path is not a hit from disk: $y"
  done
fi

# ---- measure -------------------------------------------------------------------------------------------
results="$work/results.tsv"   # scenario peer req_s mb_s ok_responses bad_responses origin_requests seconds cpu_s

# CPU time the peer's processes used (user + system, all threads): on a shared machine throughput moves
# with the other load, CPU per request much less.
clock_ticks=$(getconf CLK_TCK)
peer_pids() {  # peer: nginx's master and workers, or the JVM
  case $1 in
    nginx) echo "$nginx_pid" $(pgrep -P "$nginx_pid" || true) ;;
    yunjing) echo "$yunjing_pid" ;;
  esac
}
cpu_ticks() {  # PID...: their utime + stime in clock ticks
  local total=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    total=$((total + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
  done
  echo "$total"
}
cpu_seconds() {  # ticks_before ticks_after
  python3 -c 'import sys; print("%.2f" % ((int(sys.argv[2]) - int(sys.argv[1])) / int(sys.argv[3])))' "$1" "$2" "$clock_ticks"
}
: >"$results"

to_mb() {  # wrk's "12.34MB" (1024-based units) -> MiB as a plain number
  python3 -c '
import re,sys
m=re.match(r"([0-9.]+)([KMGT]?B)", sys.argv[1]); v=float(m.group(1)); u=m.group(2)
print("%.2f" % (v*{"B":1/1048576,"KB":1/1024,"MB":1,"GB":1024,"TB":1048576}[u]))' "$1"
}

run_wrk() {  # scenario peer url connections
  local scenario=$1 peer=$2 url=$3 conns=$4 out before after cpu_before cpu_after
  wrk -t2 -c"$conns" -d"${WARM}s" "$url" >/dev/null
  before=$(origin_requests)
  cpu_before=$(cpu_ticks $(peer_pids "$peer"))
  out=$(wrk -t2 -c"$conns" -d"${DURATION}s" "$url")
  cpu_after=$(cpu_ticks $(peer_pids "$peer"))
  after=$(origin_requests)
  echo "$out" >"$work/$scenario-$peer.txt"
  local rps mb total bad errors
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
  mb=$(to_mb "$(echo "$out" | awk '/^Transfer\/sec:/ {print $2}')")
  total=$(echo "$out" | awk '/requests in/ {print $1}')
  bad=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ {print $NF}')
  errors=$(echo "$out" | awk '/Socket errors:/ {gsub(",", ""); print $4+$6+$8+$10}')
  bad=$(( ${bad:-0} + ${errors:-0} ))
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$peer" "$rps" "$mb" "$((total - bad))" "$bad" \
    "$((after - before))" "$DURATION" "$(cpu_seconds "$cpu_before" "$cpu_after")" >>"$results"
  log "$scenario $peer: $rps req/s, $mb MiB/s, $bad bad, $((after - before)) origin requests"
}

run_h2load() {  # scenario peer url
  local scenario=$1 peer=$2 url=$3 out before after cpu_before cpu_after
  h2load -D "$WARM" -c64 -m10 -t2 "$url" >/dev/null
  before=$(origin_requests)
  cpu_before=$(cpu_ticks $(peer_pids "$peer"))
  out=$(h2load -n"$H2_REQUESTS" -c64 -m10 -t2 "$url")
  cpu_after=$(cpu_ticks $(peer_pids "$peer"))
  after=$(origin_requests)
  echo "$out" >"$work/$scenario-$peer.txt"
  local rps mb ok failed seconds
  read -r seconds rps mb < <(echo "$out" | awk '/^finished in/ {
      s=$3; sub(",", "", s); if (s ~ /ms$/) { sub("ms", "", s); s = s / 1000 } else { sub("s", "", s) }
      r=$4; t=$6; sub(",", "", t)
      v=t; u=t; sub(/[A-Za-z\/]+$/, "", v); sub(/^[0-9.]+/, "", u)
      f = (u ~ /^GB/) ? 1024 : (u ~ /^MB/) ? 1 : (u ~ /^KB/) ? 1/1024 : 1/1048576
      printf "%s %s %.2f\n", s, r, v*f }')
  ok=$(echo "$out" | awk '/^requests:/ {print $8}')
  failed=$(echo "$out" | awk '/^requests:/ {print $10 + $12 + $14}')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$peer" "$rps" "$mb" "$ok" "$failed" \
    "$((after - before))" "$seconds" "$(cpu_seconds "$cpu_before" "$cpu_after")" >>"$results"
  log "$scenario $peer: $rps req/s, $mb MiB/s, $failed failed, $((after - before)) origin requests"
}

log "measuring: ${DURATION} s per wrk run, $H2_REQUESTS h2load requests, ${WARM} s warm-up before each"
# The machine may be shared: its load average (1, 5, 15 min) before and after goes into the report.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
run_wrk "http1-1k" nginx "http://127.0.0.1:$nginx_port/1k" 64
run_wrk "http1-1k" yunjing "http://127.0.0.1:$yunjing_port/1k" 64
run_h2load "h2c-1k" nginx "http://127.0.0.1:$nginx_h2_port/1k"
run_h2load "h2c-1k" yunjing "http://127.0.0.1:$yunjing_port/1k"
run_wrk "http1-1m" nginx "http://127.0.0.1:$nginx_port/1m" 16
run_wrk "http1-1m" yunjing "http://127.0.0.1:$yunjing_port/1m" 16

# ---- report --------------------------------------------------------------------------------------------
mkdir -p "$OUT_DIR"
log_lines=""
if [ "$ACCESS_LOG" = 1 ]; then
  sleep 1   # both writers flush within a second (nginx's buffer on its next write or exit; yunjing per batch)
  log_lines="nginx $(wc -l <"$work/nginx/logs/access.jsonl"), yunjing $(wc -l <"$work/yunjing-access.jsonl")"
  log "access log lines written over the whole run (warm-ups included): $log_lines"
fi
facts_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
facts_nginx=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')
facts_java=$("$("$root/deploy/bin/find-jdk")/bin/java" -version 2>&1 | head -1)
facts_cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
facts_wrk=$( (wrk -v 2>&1 || true) | head -1 | awk '{print $1, $2}')
facts_h2load=$( (h2load --version 2>&1 || true) | head -1)
facts_kernel=$(uname -r)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$results" "$OUT_DIR" "$cores" "$facts_nginx" "$facts_java" "$facts_date" "$command_line" \
  "$facts_cpu" "$facts_wrk" "$facts_h2load" "$facts_kernel" "$DURATION" "$WARM" "$H2_REQUESTS" \
  "$(head -1 "$work/yunjing.log")" "$report_name" "$ACCESS_LOG" "$log_lines" "$load_before" "$load_after" \
  "$DISK_CACHE" <<'PY'
import json, sys
(results, out_dir, cores, nginx, java, date, command, cpu, wrk, h2load, kernel, duration, warm, h2n,
 yunjing_line, report, access_log, log_lines, load_before, load_after, disk_cache) = sys.argv[1:]
rows = {}
for line in open(results):
    scenario, peer, rps, mb, ok, bad, origin, seconds, cpu_s = line.rstrip("\n").split("\t")
    rows.setdefault(scenario, {})[peer] = {
        "requests_per_second": float(rps), "mib_per_second": float(mb), "ok_responses": int(ok),
        "failed_responses": int(bad), "origin_requests_during_run": int(origin), "seconds": float(seconds),
        "cpu_seconds": float(cpu_s),
        "cpu_microseconds_per_request": round(float(cpu_s) * 1e6 / max(1, int(ok) + int(bad)), 1)}
describe = {
    "http1-1k": "HTTP/1.1, 1 KiB hit: wrk -t2 -c64 -d%ss" % duration,
    "h2c-1k": "h2c prior knowledge, 1 KiB hit: h2load -n%s -c64 -m10 -t2" % h2n,
    "http1-1m": "HTTP/1.1, 1 MiB hit: wrk -t2 -c16 -d%ss" % duration,
}
scenarios = []
for name, peers in rows.items():
    n, y = peers["nginx"], peers["yunjing"]
    scenarios.append({"scenario": name, "load": describe[name], "nginx": n, "yunjing": y,
                      "ratio_yunjing_over_nginx": round(y["requests_per_second"] / n["requests_per_second"], 3),
                      "cpu_per_request_ratio_nginx_over_yunjing": round(
                          n["cpu_microseconds_per_request"] / max(0.1, y["cpu_microseconds_per_request"]), 3)})
machine = {"nproc": int(cores), "cpu": cpu, "kernel": kernel, "nginx": nginx, "java": java, "wrk": wrk,
           "h2load": h2load}
doc = {"benchmark": "proxy cache hits: yunjing proxy vs nginx proxy_cache", "date": date, "command": command,
       "duration_seconds": int(duration), "warm_up_seconds": int(warm), "machine": machine,
       "load_average_before": load_before, "load_average_after": load_after,
       "yunjing": yunjing_line, "scenarios": scenarios}
if access_log == "1":
    doc["access_log"] = "both peers log every request as a JSON line (nginx: log_format escape=json, buffer=64k)"
    doc["access_log_lines_whole_run"] = log_lines
if disk_cache == "1":
    doc["disk_cache"] = ("yunjing with --cache-dir, restarted after the warm-up: 1 MiB HTTP/1.1 hits are sent from "
                         "its disk tier with sendfile, 1 KiB and h2c hits read from disk once and then from memory")
with open(out_dir + "/" + report + ".json", "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")

title = ("# Proxy cache hits: yunjing vs nginx proxy_cache" + (", both writing JSON access logs" if access_log == "1" else "")
         + (", yunjing from its disk tier" if disk_cache == "1" else ""))
lines = [title, "",
         "Generated by `deploy/bench/proxy-cache-bench.sh` on %s (UTC); raw numbers in "
         "[%s.json](%s.json)." % (date, report, report), "",
         "Command: `%s`" % command, "",
         "| scenario | load | nginx req/s | yunjing req/s | ratio yunjing/nginx | nginx MiB/s | yunjing MiB/s | CPU µs per request (nginx / yunjing) | failed (nginx / yunjing) | origin requests during run (nginx / yunjing) |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
for s in scenarios:
    n, y = s["nginx"], s["yunjing"]
    lines.append("| %s | %s | %.0f | %.0f | %.2f | %.1f | %.1f | %.0f / %.0f | %d / %d | %d / %d |" % (
        s["scenario"], s["load"], n["requests_per_second"], y["requests_per_second"],
        s["ratio_yunjing_over_nginx"], n["mib_per_second"], y["mib_per_second"],
        n["cpu_microseconds_per_request"], y["cpu_microseconds_per_request"], n["failed_responses"],
        y["failed_responses"], n["origin_requests_during_run"], y["origin_requests_during_run"]))
lines += ["", "Machine: %s cores (`nproc`), %s, Linux %s; %s; %s; %s; %s. Load average (1, 5, 15 min) "
    "before the measurements: %s; after: %s." % (cores, cpu, kernel, nginx, java, wrk, h2load, load_before,
                                                load_after), "",
    "yunjing: `%s`" % yunjing_line, ""]
slower = [s for s in scenarios if s["ratio_yunjing_over_nginx"] < 1]
lines += ["## Reading the numbers", ""]
if slower:
    lines.append("**yunjing is slower than nginx proxy_cache on cache hits in %d of %d scenarios** (%s)." % (
        len(slower), len(scenarios), ", ".join("%s: %.2f× nginx" % (s["scenario"], s["ratio_yunjing_over_nginx"])
                                              for s in slower)))
else:
    lines.append("yunjing matched or beat nginx proxy_cache on cache hits in every scenario of this run.")
lines += ["",
    "Every measured request was a cache hit: the origin served 0 requests during each measurement unless the "
    "last column says otherwise, and no response failed unless the failed column says otherwise.", "",
    "Setup and caveats (the same for both peers):", "",
    "- Each scenario ran on nginx and right after on yunjing, with the same load tool, connections and duration, "
    "each after %s s of the same load whose results were discarded (JIT warm-up for the JVM)." % warm,
    "- Load generator, nginx workers and the JVM share the same %s cores: a server that spends more CPU per "
    "request also takes CPU from the load generator, so the ratios measure CPU efficiency per hit as much as "
    "peak throughput. nginx runs `worker_processes %s`; yunjing runs Netty's default event loops "
    "(2 × cores)." % (cores, cores),
    ("- Access logs: nginx writes a JSON line per request (`log_format … escape=json`, `access_log … buffer=64k`), "
     "yunjing its access log (`--access-log`: a bounded queue and one writer thread). Lines written over the "
     "whole run, warm-ups and checks included: %s (each peer served a different number of requests, so the "
     "counts only show that both wrote; yunjing drops lines rather than wait when its writer falls behind, "
     "counted in `yunjing.proxy.access.log.dropped`, which `yunjing proxy` does not expose)." % log_lines if access_log == "1" else
     "- Access logs off on both."),
    "- nginx: `proxy_cache` on disk (page cache), `sendfile on`, keep-alive to the origin, "
    "`keepalive_requests` raised so neither peer reconnects during a run. yunjing: `yunjing proxy`, memory "
    "cache, the launcher's default JVM (no extra options; Netty's leak detection at its default sampling, "
    "not the `paranoid` level the tests use).",
    "- CPU µs per request: user + system CPU time of the peer's processes (nginx's master and workers; "
    "the JVM, all threads) during the measurement, divided by the responses. Throughput on a machine "
    "shared with other work moves with that work; CPU per request much less, so it is the steadier "
    "comparison of the two servers' cost per hit (the load generator's CPU is in neither).",
    "- Short runs on a small machine vary from run to run (the ratios moved by up to about 0.25 between runs of the "
    "default 10 s length on a quiet machine, far more on a shared one: see the load average above); compare "
    "ratios within one run, look at CPU per request, and use a longer "
    "`DURATION` (e.g. `DURATION=60 WARM=15`) for a number to quote.", "",
    "Where the time goes in yunjing (from JFR profiles of this benchmark, see "
    "[proxy/README.md](../../proxy/README.md#cache-hit-performance); not measured by this script):", "",
    "- The Java per-request path: request decoding into Netty HTTP objects, the proxy headers of the "
    "request (`Via`, `Forwarded`, `X-Request-Id`), the cache key, the response head rebuilt per hit (`Age`, "
    "`Cache-Status`, `Via`): allocation and CPU that nginx's C path does not have. What parses once per "
    "entry (the age inputs) or allocates without need is gone; flushes are merged per event loop task.",
    "- h2c: Netty's `Http2MultiplexHandler` gives every stream its own child channel (a pipeline built per "
    "request) and converts HTTP objects to frames and back; HPACK encodes every response head. This is "
    "the largest gap, and CPU taken by the JVM's threads is CPU the load generator on the same cores "
    "does not get.",
    "- 1 MiB bodies: yunjing keeps bodies in the JVM heap and sends them gathered into 64 KiB writes, each "
    "copied once into a direct buffer and then into the socket, while nginx hands its cache file to the "
    "kernel with `sendfile` (no user-space copy).",
    ""]
open(out_dir + "/" + report + ".md", "w").write("\n".join(lines))
PY
log "wrote $OUT_DIR/$report_name.md and $OUT_DIR/$report_name.json"
cat "$OUT_DIR/$report_name.md"
