#!/usr/bin/env bash
# Queries per second of yunjing's DNS against gdnsd (geoip plugin, the same map), dnsperf, one run.
#
#   deploy/bench/dns-vs-gdnsd.sh                       # 15 s per measurement (what docs/benchmarks/ holds)
#   DURATION=60 WARM=15 deploy/bench/dns-vs-gdnsd.sh   # the full-length run
#
# Environment: DURATION (s per measurement, default 15), WARM (s of discarded load before each, default 10),
# ROUNDS (alternating gdnsd/yunjing measurement rounds, default 2), UDP_THREADS (UDP sockets and threads of
# each server: gdnsd's udp_threads, yunjing's dns.udp_threads; default 1, leaving the second core to dnsperf),
# OUTSTANDING (dnsperf -q, queries in flight, default 100), QUERIES (distinct queries in the file,
# default 100000), YUNJING_GEO_DIR (GeoLite2-City.mmdb and asn.csv from `yunjing geo fetch`, default
# ~/.cache/yunjing/geo), OUT_DIR (default docs/benchmarks under the repository root).
#
# What it does, all on 127.0.0.1 with free ports:
#   readyz   a tiny HTTP server on the edges' addresses (127.0.0.41-43) answering 200, so yunjing's health
#            checks keep every edge up (gdnsd gets no monitoring: every edge is up for it by definition);
#   yunjing  `deploy/bin/yunjing node --id dns` on a copy of the local topology with free ports, with the
#            geo data: carrier × province steering (CarrierProvincePolicy), ECS scope from the locator;
#   gdnsd    gdnsd 3 with the geoip plugin: GeoLite2 City for provinces (map AS→CN→SH/GD/BJ) and a `nets`
#            file for carriers (deploy/bench/dns-gdnsd-nets.py: the carrier ASNs' ranges from asn.csv →
#            that carrier's edge, since gdnsd reads no ASN database); the same static names.
#   ceiling  deploy/bench/dns-noop-responder.c: UDP_THREADS threads answering every datagram with itself
#            (QR set) and doing nothing else, recvmmsg/sendmmsg as gdnsd: what dnsperf can reach here at all;
#   echo     deploy/bench/DnsNettyEcho.java: the same echo in a JVM over Netty's epoll datagram channel with
#            yunjing's socket options: what the JVM and Netty cost before any DNS work;
#   queries  deploy/bench/dns-queries.py: QUERIES wire-format queries, mostly api.mirror.test A with ECS
#            for addresses in Chinese carrier networks, some non-carrier ECS, 10 % static names.
# In each of ROUNDS rounds, each server gets WARM s of load (discarded; JIT warm-up), then DURATION s
# measured, the ceiling, gdnsd then yunjing, all running the whole time; the result sums the rounds: dnsperf -B -c 4 -T 1 -q $OUTSTANDING. A spot check first asserts both give
# the same edge for a Telecom/Shanghai, a Unicom/Guangdong and a Mobile address.
# Writes $OUT_DIR/dns-vs-gdnsd.md and .json. Installs dnsperf, gdnsd, dnsutils (dig), gcc and python3 with
# apt-get when missing (needs root). Stops everything it started on exit.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench=$root/deploy/bench
DURATION=${DURATION:-15}
WARM=${WARM:-10}
OUTSTANDING=${OUTSTANDING:-100}
QUERIES=${QUERIES:-100000}
ROUNDS=${ROUNDS:-2}
UDP_THREADS=${UDP_THREADS:-1}
GEO=${YUNJING_GEO_DIR:-$HOME/.cache/yunjing/geo}
OUT_DIR=${OUT_DIR:-$root/docs/benchmarks}
command_line="DURATION=$DURATION WARM=$WARM ROUNDS=$ROUNDS UDP_THREADS=$UDP_THREADS OUTSTANDING=$OUTSTANDING QUERIES=$QUERIES deploy/bench/dns-vs-gdnsd.sh"

# shellcheck source=deploy/bench/bench-lib.sh
. "$root/deploy/bench/bench-lib.sh"

[ -f "$GEO/GeoLite2-City.mmdb" ] && [ -f "$GEO/asn.csv" ] \
  || die "$GEO: no GeoLite2-City.mmdb and asn.csv (run: deploy/bin/yunjing geo fetch $GEO, or set YUNJING_GEO_DIR)"

# ---- tools ------------------------------------------------------------------------------------------
need_install=()
command -v dnsperf >/dev/null 2>&1 || need_install+=(dnsperf)
command -v gdnsd >/dev/null 2>&1 || [ -x /usr/sbin/gdnsd ] || need_install+=(gdnsd)
command -v dig >/dev/null 2>&1 || need_install+=(dnsutils)
command -v python3 >/dev/null 2>&1 || need_install+=(python3)
command -v cc >/dev/null 2>&1 || need_install+=(gcc)
install_missing ${need_install[@]+"${need_install[@]}"}
GDNSD=$(command -v gdnsd || echo /usr/sbin/gdnsd)

# ---- processes and cleanup ----------------------------------------------------------------------------
start_work yunjing-dnsbench

free_port() {  # a port free for both UDP and TCP on 127.0.0.1
  python3 - <<'EOF'
import socket
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0)); port = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", port)); print(port); break
    except OSError:
        pass
    finally:
        t.close(); u.close()
EOF
}

dig_a() {  # PORT ECS-ADDRESS: the A records of api.mirror.test for that client, sorted, one line
  dig @127.0.0.1 -p "$1" +time=2 +tries=2 +short +subnet="$2/24" api.mirror.test A | sort | tr '\n' ' '
}

wait_dns() {  # PORT NAME: waits up to 120 s for an answer
  for _ in $(seq 600); do
    # An address, not just output: `dig +short` prints ";; communications error" while nothing listens.
    dig @127.0.0.1 -p "$1" +time=1 +tries=1 +short ns1.mirror.test A 2>/dev/null | grep -qE '^[0-9.]+$' && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || die "$2 exited; see its log above"
    sleep 0.2
  done
  die "$2 did not answer on 127.0.0.1:$1 within 120 s"
}

# ---- the edges' /readyz -----------------------------------------------------------------------------
readyz_port=$(free_port)
cat >"$work/readyz.py" <<'EOF'
import http.server, socketserver, sys, threading
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
servers = [socketserver.ThreadingTCPServer((a, int(sys.argv[1])), H) for a in ("127.0.0.41", "127.0.0.42", "127.0.0.43")]
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
servers[0].serve_forever()
EOF
declare -A pid_of # server name → process id, for its CPU time
python3 "$work/readyz.py" "$readyz_port" & pids+=($!)

# ---- yunjing ------------------------------------------------------------------------------------------
yj_port=$(free_port)
yj_admin=$(free_port)
sed -e "s/^  listen: 127.0.0.1:5353 .*/  listen: 127.0.0.1:$yj_port/" \
    -e "s/^  admin: 127.0.0.1:9053 .*/  admin: 127.0.0.1:$yj_admin/" \
    -e "s/ports: { http: 8080, https: 8443, admin: 9090 }/ports: { http: 8080, https: 8443, admin: $readyz_port }/" \
    -e "s/^  max_answers: \(.*\)/  max_answers: \1\n  udp_threads: $UDP_THREADS/" \
    "$root/deploy/topology/local.yaml" >"$work/topology.yaml"
grep -q "listen: 127.0.0.1:$yj_port" "$work/topology.yaml" || die "could not rewrite the DNS port in local.yaml"
grep -q "udp_threads: $UDP_THREADS" "$work/topology.yaml" || die "could not set udp_threads in local.yaml"
log "building/starting yunjing dns on 127.0.0.1:$yj_port"
"$root/deploy/bin/yunjing" node --id dns --topology "$work/topology.yaml" --state-dir "$work/state" \
  --geo-dir "$GEO" >"$work/yunjing.log" 2>&1 & pids+=($!); pid_of[yunjing]=$!
wait_dns "$yj_port" yunjing || { cat "$work/yunjing.log" >&2; exit 1; }

# ---- gdnsd ----------------------------------------------------------------------------------------------
gd_port=$(free_port)
mkdir -p "$work/gdnsd/zones" "$work/gdnsd/geoip" "$work/gdnsd-run" "$work/gdnsd-state"
ln -s "$GEO/GeoLite2-City.mmdb" "$work/gdnsd/geoip/GeoLite2-City.mmdb"
python3 "$bench/dns-gdnsd-nets.py" "$GEO/asn.csv" "$work/gdnsd/geoip/carrier-nets"
cat >"$work/gdnsd/config" <<EOF
options => {
  listen => [ 127.0.0.1:$gd_port ]
  udp_threads => $UDP_THREADS
  run_dir => $work/gdnsd-run
  state_dir => $work/gdnsd-state
}
plugins => { geoip => {
  maps => {
    china => {
      geoip2_db => GeoLite2-City.mmdb
      datacenters => [ sh-telecom, gz-unicom, bj-mobile ]
      nets => carrier-nets
      map => { AS => { CN => { SH => [ sh-telecom ], GD => [ gz-unicom ], BJ => [ bj-mobile ] } } }
    }
  }
  resources => {
    edges => {
      map => china
      dcmap => { sh-telecom => 127.0.0.41, gz-unicom => 127.0.0.42, bj-mobile => 127.0.0.43 }
    }
  }
}}
EOF
cat >"$work/gdnsd/zones/mirror.test" <<'EOF'
@       3600 SOA ns1 hostmaster 1 3600 600 1209600 30
@       3600 NS  ns1
ns1     3600 A   127.0.0.1
api     30   DYNA geoip!edges
models  30   DYNA geoip!edges
EOF
log "starting gdnsd on 127.0.0.1:$gd_port"
"$GDNSD" -c "$work/gdnsd" start >"$work/gdnsd.log" 2>&1 & pids+=($!); pid_of[gdnsd]=$!
wait_dns "$gd_port" gdnsd || { cat "$work/gdnsd.log" >&2; exit 1; }
gdnsd_version=$("$GDNSD" -c "$work/gdnsd" checkconf 2>&1 | grep -o 'gdnsd version [^ ]*' | head -1 || true)

# ---- same answers -----------------------------------------------------------------------------------------
# Telecom Shanghai (AS4812), Unicom Guangdong (AS17816), Mobile (AS9808).
for probe in "101.80.0.1 127.0.0.41" "58.248.0.1 127.0.0.42" "120.192.0.1 127.0.0.43"; do
  set -- $probe
  # A server may still be loading its GeoIP data when it first answers static names: give each a few tries.
  for _ in 1 2 3 4 5; do y=$(dig_a "$yj_port" "$1") && break; sleep 1; done
  for _ in 1 2 3 4 5; do g=$(dig_a "$gd_port" "$1") && break; sleep 1; done
  log "client $1: yunjing [$y] gdnsd [$g]"
  case " $y" in *" $2 "*) ;; *) die "yunjing did not answer $2 for $1 (got: $y)";; esac
  case " $g" in *" $2 "*) ;; *) die "gdnsd did not answer $2 for $1 (got: $g)";; esac
done

# ---- load ---------------------------------------------------------------------------------------------
python3 "$bench/dns-queries.py" "$GEO/asn.csv" "$work/queries.bin" "$QUERIES" 2>"$work/mix.txt"
mix=$(cat "$work/mix.txt")

run_dnsperf() {  # PORT SECONDS OUTFILE
  dnsperf -B -d "$work/queries.bin" -s 127.0.0.1 -p "$1" -l "$2" -c 4 -T 1 -q "$OUTSTANDING" -t 2 >"$3" 2>&1
}
field() {  # FILE REGEX: the first number after the label
  grep -m1 -E "$2" "$1" | sed -E 's/^[^:]*:[[:space:]]*([0-9.]+).*/\1/'
}
cpu_ticks() {  # PID: user and system clock ticks of the whole process (all threads), from /proc
  awk '{print $14, $15}' "/proc/$1/stat"
}
measure() {  # NAME PORT ROUND
  log "$1 (round $3): warm-up ${WARM} s"
  run_dnsperf "$2" "$WARM" "$work/$1.warm"
  log "$1 (round $3): measuring ${DURATION} s"
  local before; before=$(cpu_ticks "${pid_of[$1]}")
  run_dnsperf "$2" "$DURATION" "$work/$1.$3.out"
  echo "$before $(cpu_ticks "${pid_of[$1]}") $(getconf CLK_TCK)" >"$work/$1.$3.cpu"
  grep -E "Queries (per second|lost)" "$work/$1.$3.out" >&2
}
# ---- the ceiling: a responder that does no DNS work -------------------------------------------------
noop_port=$(free_port)
cc -O2 -pthread -o "$work/noop" "$bench/dns-noop-responder.c"
"$work/noop" "$noop_port" "$UDP_THREADS" & pids+=($!); pid_of[noop]=$!
echo_port=$(free_port)
jdk=$("$root/deploy/bin/find-jdk")
"$jdk/bin/java" -cp "$root/deploy/target/lib/*" "$bench/DnsNettyEcho.java" "$echo_port" "$UDP_THREADS" \
  >"$work/echo.log" 2>&1 & pids+=($!); pid_of[echo]=$!
for _ in $(seq 100); do ss -lun 2>/dev/null | grep -q ":$echo_port " && break; sleep 0.1; done

# Alternate the servers over ROUNDS rounds, so a change in the machine's other load hits both alike.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
  measure noop "$noop_port" "$round"
  measure echo "$echo_port" "$round"
  measure gdnsd "$gd_port" "$round"
  measure yunjing "$yj_port" "$round"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

yunjing_banner=$(grep -m1 "listening" "$work/yunjing.log" || true)
JAVA_HOME=$jdk python3 - "$work" "$OUT_DIR" "$command_line" "$mix" "$yunjing_banner" "$gdnsd_version" "$load_before" "$load_after" <<'EOF'
import json, os, platform, re, subprocess, sys, datetime
work, out_dir, command, mix, banner, gdnsd_version, load_before, load_after = sys.argv[1:9]
def parse_one(path):
    text = open(path).read()
    def num(label):
        m = re.search(label + r"[^:]*:\s*([0-9.]+)", text)
        return float(m.group(1)) if m else None
    lat = re.search(r"Average Latency \(s\):\s*([0-9.]+) \(min ([0-9.]+), max ([0-9.]+)\)", text)
    return {"sent": int(num("Queries sent")), "completed": int(num("Queries completed")),
            "lost": int(num("Queries lost")), "qps": num("Queries per second"), "run_time": num("Run time"),
            "avg": float(lat.group(1)), "min": float(lat.group(2)), "max": float(lat.group(3)),
            "codes": re.search(r"Response codes:\s*(.*)", text).group(1).strip()}
def cpu_seconds(name):
    """User and system CPU seconds the server used during its measured runs, summed over rounds."""
    user = system = 0.0
    for f in sorted(os.listdir(work)):
        if re.fullmatch(name + r"\.\d+\.cpu", f):
            u0, s0, u1, s1, hz = map(int, open(os.path.join(work, f)).read().split())
            user += (u1 - u0) / hz
            system += (s1 - s0) / hz
    return user, system
def parse(name):
    rounds = [parse_one(os.path.join(work, f)) for f in sorted(os.listdir(work)) if re.fullmatch(name + r"\.\d+\.out", f)]
    completed = sum(r["completed"] for r in rounds)
    user, system = cpu_seconds(name)
    return {"rounds_qps": [round(r["qps"]) for r in rounds],
            "user_us_per_query": round(user * 1e6 / completed, 2), "system_us_per_query": round(system * 1e6 / completed, 2),
            "cores_busy": round((user + system) / sum(r["run_time"] for r in rounds), 2),
            "queries_sent": sum(r["sent"] for r in rounds), "queries_completed": completed,
            "queries_lost": sum(r["lost"] for r in rounds), "qps": completed / sum(r["run_time"] for r in rounds),
            "latency_avg_ms": sum(r["avg"] * r["completed"] for r in rounds) / completed * 1000,
            "latency_min_ms": min(r["min"] for r in rounds) * 1000, "latency_max_ms": max(r["max"] for r in rounds) * 1000,
            "response_codes": " | ".join(r["codes"] for r in rounds)}
g, y, n, e = parse("gdnsd"), parse("yunjing"), parse("noop"), parse("echo")
ratio = y["qps"] / g["qps"]
round_ratios = [round(b / a, 2) for a, b in zip(g["rounds_qps"], y["rounds_qps"])]
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
java = subprocess.run([os.environ.get("JAVA_HOME", "/usr") + "/bin/java", "-version"], capture_output=True, text=True).stderr.splitlines()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
dnsperf = subprocess.run(["dnsperf", "-h"], capture_output=True, text=True)
dnsperf_version = next((l for l in (dnsperf.stdout + dnsperf.stderr).splitlines() if l.startswith("Version")), "?")
result = {"generated": now, "command": command, "query_mix": mix, "nproc": os.cpu_count(), "cpu": cpu,
          "kernel": platform.release(), "gdnsd": gdnsd_version, "dnsperf": dnsperf_version,
          "java": java[0] if java else "?", "yunjing": banner, "loadavg_before": load_before, "loadavg_after": load_after, "gdnsd_result": g, "yunjing_result": y,
          "ratio_qps_yunjing_over_gdnsd": round(ratio, 3), "ratio_per_round": round_ratios,
          "ceiling_result": n, "gdnsd_over_ceiling": round(g["qps"] / n["qps"], 3), "yunjing_over_ceiling": round(y["qps"] / n["qps"], 3),
          "netty_echo_result": e, "netty_echo_over_ceiling": round(e["qps"] / n["qps"], 3)}
os.makedirs(out_dir, exist_ok=True)
with open(os.path.join(out_dir, "dns-vs-gdnsd.json"), "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")
verdict = "at or above" if ratio >= 1.0 else "below"
lossless = y["queries_lost"] == 0
md = f"""# Authoritative DNS: yunjing vs gdnsd (dnsperf)

Generated by `deploy/bench/dns-vs-gdnsd.sh` on {now} (UTC); raw numbers in [dns-vs-gdnsd.json](dns-vs-gdnsd.json).

Command: `{command}`

| server | QPS (all rounds) | QPS per round | sent | completed | lost | avg latency ms | min / max ms | user / system CPU µs per query, cores busy | response codes per round |
|---|---:|---|---:|---:|---:|---:|---:|---|---|
| gdnsd (geoip plugin) | {g['qps']:.0f} | {g['rounds_qps']} | {g['queries_sent']} | {g['queries_completed']} | {g['queries_lost']} | {g['latency_avg_ms']:.3f} | {g['latency_min_ms']:.3f} / {g['latency_max_ms']:.3f} | {g['user_us_per_query']} / {g['system_us_per_query']}, {g['cores_busy']} | {g['response_codes']} |
| yunjing dns | {y['qps']:.0f} | {y['rounds_qps']} | {y['queries_sent']} | {y['queries_completed']} | {y['queries_lost']} | {y['latency_avg_ms']:.3f} | {y['latency_min_ms']:.3f} / {y['latency_max_ms']:.3f} | {y['user_us_per_query']} / {y['system_us_per_query']}, {y['cores_busy']} | {y['response_codes']} |
| ceiling: a responder doing no DNS work | {n['qps']:.0f} | {n['rounds_qps']} | {n['queries_sent']} | {n['queries_completed']} | {n['queries_lost']} | {n['latency_avg_ms']:.3f} | {n['latency_min_ms']:.3f} / {n['latency_max_ms']:.3f} | {n['user_us_per_query']} / {n['system_us_per_query']}, {n['cores_busy']} | (echoes) |
| the same echo in a JVM over Netty | {e['qps']:.0f} | {e['rounds_qps']} | {e['queries_sent']} | {e['queries_completed']} | {e['queries_lost']} | {e['latency_avg_ms']:.3f} | {e['latency_min_ms']:.3f} / {e['latency_max_ms']:.3f} | {e['user_us_per_query']} / {e['system_us_per_query']}, {e['cores_busy']} | (echoes) |

**Ratio yunjing / gdnsd: {ratio:.2f}×** queries per second (per round: {round_ratios}; {verdict} the 1.0× goal; yunjing lost {y['queries_lost']} queries, gdnsd {g['queries_lost']}).

Against the ceiling (`deploy/bench/dns-noop-responder.c`: the same sockets, threads and recvmmsg/sendmmsg
batches as gdnsd, but every datagram sent back as it came, QR set, with no DNS work): gdnsd reached
{g['qps'] / n['qps']:.2f}× of it and yunjing {y['qps'] / n['qps']:.2f}×. Load generator and servers share two
cores, so the ceiling is mostly dnsperf's own speed: a server can only be as fast as the ceiling by costing
dnsperf nothing. The same echo in a JVM over Netty's epoll datagram channel, with yunjing's socket options
and no DNS work (`deploy/bench/DnsNettyEcho.java`), reached {e['qps'] / n['qps']:.2f}× of it: what the JVM and
Netty cost before any DNS work.

Query mix ({mix}): `api.mirror.test A` with an EDNS Client Subnet /24 inside a Chinese carrier network
(Telecom, Unicom, Mobile, CERNET ranges of the ASN CSV), some with non-carrier addresses, and 10 % static
names (`ns1` A, apex SOA and NS, a nonexistent name). Load: `dnsperf -B -c 4 -T 1 -q <outstanding>`, the same
binary query file for both, each measurement after a discarded warm-up of the same load, the servers
alternating over the rounds.

Machine: {os.cpu_count()} cores (`nproc`), {cpu}, Linux {platform.release()}; {gdnsd_version}; dnsperf {dnsperf_version}; {java[0] if java else '?'}.

Load average (1, 5, 15 min) before / after the measurements: {load_before} / {load_after}.

yunjing: `{banner}`

## The same map, as far as gdnsd can express it

Both servers answer `api.mirror.test` / `models.mirror.test` with the local topology's edges (sh-telecom
127.0.0.41, gz-unicom 127.0.0.42, bj-mobile 127.0.0.43); the script checks three carrier addresses get the
same edge from both before measuring. The differences, honestly:

- **Carrier.** gdnsd reads no ASN database. The script turns the same ip-location-db ASN CSV into a gdnsd
  `nets` file (`deploy/bench/dns-gdnsd-nets.py`: the ranges of the Telecom, Unicom and Mobile ASNs of
  yunjing's built-in table, and of AS names matching its patterns, as CIDRs → that carrier's edge). yunjing
  looks the AS up per query (cached per block) and combines it with GeoIP and operator lines, which gdnsd's
  static `nets` cannot do in general (e.g. province-from-ASN, lines that override the carrier).
- **Province.** gdnsd: `map => AS => CN => SH/GD/BJ` on GeoLite2 City (subdivisions), default the full list.
  yunjing: the same province rule for clients without a carrier edge (CERNET, other ASNs), plus its
  carrier+region and province-from-ASN tiers, which give the same answers in this three-edge topology.
- **Answer size.** gdnsd answers the first datacenter's address (one A record). yunjing answers up to
  `max_answers` (2): one record when the client's carrier group has one edge (most of this mix), two for
  clients steered to "any".
- **Health.** yunjing probes each edge's `/readyz` every 5 s on its own thread (a stand-in HTTP server
  answers 200); gdnsd has no monitoring configured (every edge is up by definition).
- **Threads.** Both `UDP_THREADS` UDP sockets with SO_REUSEPORT, each with its own thread (gdnsd's
  `udp_threads`, yunjing's `dns.udp_threads`), each blocking in `recvmmsg` and answering with one
  `sendmmsg` per batch (yunjing's through its JNI library, see the startup line above; the launcher's
  default JVM). On this 2-core machine one thread each leaves a core to dnsperf.
- **ECS scope.** Both echo the option with a scope: gdnsd from its merged network tree, yunjing from the
  locator's constant block (RFC 7871 section 7.2.1). Not compared here: TCP, IPv6 clients.

Caveats: load generator and both servers share the machine's cores, and other work may run beside them (see
the load average): compare the ratio within one run. yunjing's per-block locator cache fills during the run
(the query file holds ~85 000 distinct client /24s, so the first pass misses most), and the JIT warms up
during the discarded warm-up; a longer `WARM` or `DURATION` favours yunjing. gdnsd precomputes its whole
map at load time; yunjing answers steered A/AAAA queries on a fast path that reads and writes the wire
format directly, the static names from a cache of encoded answers, and the rest through dnsjava. The CPU
column is each server process's user and system time (all threads, `/proc/PID/stat`) over its measured
runs per completed query: on two shared cores every microsecond a server spends is one dnsperf does not
get, so the column explains most of the differences in rate.
"""
with open(os.path.join(out_dir, "dns-vs-gdnsd.md"), "w") as f:
    f.write(md)
print(md)
EOF
