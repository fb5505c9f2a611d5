#!/usr/bin/env python3
"""Writes gdnsd's geoip `nets` file for deploy/bench/dns-vs-gdnsd.sh: the carrier part of yunjing's
map, expressed the only way gdnsd can (it reads no ASN database): every IPv4 and IPv6 range of the
ip-location-db ASN CSV whose AS is a carrier with an edge in the local topology, as CIDRs mapped to
that carrier's edge.

    dns-gdnsd-nets.py ASN_CSV OUT_FILE

Carrier by AS number as yunjing's built-in table (AsnCarrierTable.defaults), then by AS name with the
same patterns. CERNET has no edge in the local topology, so its addresses are left to the GeoIP
(province) part of the map, as yunjing's policy leaves them to its province rule.
"""
import csv
import ipaddress
import re
import sys

EDGE_OF_CARRIER = {"telecom": "sh-telecom", "unicom": "gz-unicom", "mobile": "bj-mobile"}
ASN_CARRIER = {}
for asn in (4134, 4809, 4812, 23764):
    ASN_CARRIER[asn] = "telecom"
for asn in (4837, 4808, 9929, 10099, 17816):
    ASN_CARRIER[asn] = "unicom"
for asn in [9808, 58453] + list(range(56040, 56049)):
    ASN_CARRIER[asn] = "mobile"
for asn in (4538, 23910, 24206):
    ASN_CARRIER[asn] = "edu"
ORG_RULES = [
    (re.compile(r"CHINANET(?!\s*-?CENTER)|China ?Telecom|CHINATELECOM", re.I), "telecom"),
    (re.compile(r"UNICOM|CNCGROUP|CHINA169", re.I), "unicom"),
    (re.compile(r"China ?Mobile|CMNET|CHINAMOBILE", re.I), "mobile"),
    (re.compile(r"CERNET|China Education and Research", re.I), "edu"),
]


def carrier(asn, org):
    if asn in ASN_CARRIER:
        return ASN_CARRIER[asn]
    for pattern, name in ORG_RULES:
        if pattern.search(org or ""):
            return name
    return None


def main():
    asn_csv, out_file = sys.argv[1], sys.argv[2]
    n = 0
    with open(asn_csv, newline="") as f, open(out_file, "w") as out:
        for row in csv.reader(f):
            asn = int(row[2]) if row[2].isdigit() else -1
            edge = EDGE_OF_CARRIER.get(carrier(asn, row[3] if len(row) > 3 else ""))
            if edge is None:
                continue
            start, end = ipaddress.ip_address(row[0]), ipaddress.ip_address(row[1])
            for net in ipaddress.summarize_address_range(start, end):
                out.write(f"{net} => {edge}\n")
                n += 1
    print(f"nets: {n} networks", file=sys.stderr)


if __name__ == "__main__":
    main()
