#!/usr/bin/env python3
"""Writes the query file of deploy/bench/dns-vs-gdnsd.sh in dnsperf's binary input format (-B):
each query as a 2-byte big-endian length and the DNS message in wire format, so that every query
can carry its own EDNS Client Subnet option (dnsperf's text format has one global -E option only).

    dns-queries.py ASN_CSV OUT_FILE [COUNT] [SEED]

The mix (deterministic for a given seed):
  * 85 %  api.mirror.test A with ECS /24 of an address inside a Chinese carrier network, drawn from
          the ip-location-db ASN CSV rows of the carrier ASNs (Telecom, Unicom, Mobile, CERNET), so both
          servers must look the client up;
  * 5 %   api.mirror.test A with ECS of a non-carrier address (rows of other ASNs);
  * 10 %  static names: ns1.mirror.test A, mirror.test SOA, mirror.test NS, and a nonexistent name
          (NXDOMAIN), with EDNS but without ECS.
Every query has EDNS(0) with a 1232-byte payload size. Also prints a per-category count to stderr.
"""
import csv
import ipaddress
import random
import struct
import sys

CARRIER_ASNS = {
    "telecom": [4134, 4809, 4812, 23764],
    "unicom": [4837, 4808, 9929, 10099, 17816],
    "mobile": [9808] + list(range(56040, 56049)) + [58453],
    "edu": [4538, 23910, 24206],
}


def qname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def query(qid, name, qtype, ecs_v4=None):
    header = struct.pack(">HHHHHH", qid, 0x0000, 1, 0, 0, 1)  # RD clear: we are authoritative
    question = qname(name) + struct.pack(">HH", qtype, 1)
    options = b""
    if ecs_v4 is not None:
        addr = ipaddress.IPv4Address(ecs_v4).packed[:3]  # /24: three address bytes (RFC 7871 section 6)
        data = struct.pack(">HBB", 1, 24, 0) + addr
        options = struct.pack(">HH", 8, len(data)) + data
    opt = b"\x00" + struct.pack(">HHIH", 41, 1232, 0, len(options)) + options
    message = header + question + opt
    return struct.pack(">H", len(message)) + message


def main():
    asn_csv, out_file = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 7)
    carrier_of = {asn: c for c, asns in CARRIER_ASNS.items() for asn in asns}
    carrier_ranges, other_ranges = [], []
    with open(asn_csv, newline="") as f:
        for row in csv.reader(f):
            if ":" in row[0]:
                continue
            start, end = int(ipaddress.IPv4Address(row[0])), int(ipaddress.IPv4Address(row[1]))
            asn = int(row[2]) if row[2].isdigit() else -1
            (carrier_ranges if asn in carrier_of else other_ranges).append((start, end))
    if not carrier_ranges:
        sys.exit(asn_csv + ": no IPv4 rows of Chinese carrier ASNs")
    static = [("ns1.mirror.test", 1), ("mirror.test", 6), ("mirror.test", 2), ("nope.mirror.test", 1)]
    counts = {"carrier-ecs": 0, "other-ecs": 0, "static": 0}
    with open(out_file, "wb") as out:
        for i in range(count):
            r = rng.random()
            qid = i & 0xFFFF
            if r < 0.85 or (r < 0.90 and not other_ranges):
                start, end = rng.choice(carrier_ranges)
                out.write(query(qid, "api.mirror.test", 1, ipaddress.IPv4Address(rng.randint(start, end))))
                counts["carrier-ecs"] += 1
            elif r < 0.90:
                start, end = rng.choice(other_ranges)
                out.write(query(qid, "api.mirror.test", 1, ipaddress.IPv4Address(rng.randint(start, end))))
                counts["other-ecs"] += 1
            else:
                name, qtype = static[i % len(static)]
                out.write(query(qid, name, qtype))
                counts["static"] += 1
    print(" ".join(f"{k}={v}" for k, v in counts.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
