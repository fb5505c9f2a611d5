#!/usr/bin/env bash
# Builds libyunjing_dns.so (batched UDP I/O, dns_udp.c) into $1 (Maven passes
# target/classes/native/linux-x86_64) against the JNI headers of the JDK at $2. Skips with a
# message, and exit status 0, when there is no C compiler or the platform is not Linux: the server
# then answers UDP over Netty's datagram channel, and the native tests skip.
set -euo pipefail
out_dir=$1
java_home=$2
src_dir=$(cd "$(dirname "$0")" && pwd)
if [[ "$(uname -s)/$(uname -m)" != "Linux/x86_64" ]]; then
  echo "[native] skipped: $(uname -s)/$(uname -m) is not Linux/x86_64"; exit 0
fi
cc=${CC:-cc}
if ! command -v "$cc" >/dev/null; then
  echo "[native] skipped: $cc not found (install gcc for the DNS server's batched UDP I/O)"; exit 0
fi
mkdir -p "$out_dir"
"$cc" -O2 -std=c11 -Wall -Wextra -Werror -fPIC -shared -fvisibility=default \
  -I"$java_home/include" -I"$java_home/include/linux" \
  -o "$out_dir/libyunjing_dns.so" "$src_dir/dns_udp.c"
echo "[native] built $out_dir/libyunjing_dns.so"
