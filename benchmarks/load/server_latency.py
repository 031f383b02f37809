#!/usr/bin/env python3
"""Server-side latency quantiles from `apiary serve`'s /metrics histogram (bucket upper bounds).

usage: server_latency.py METRICS.txt
"""
import re
import sys

buckets = {}
for line in open(sys.argv[1]):
    m = re.match(r'apiary_http_request_duration_seconds_bucket\{route="([^"]+)",le="([^"]+)"\} (\S+)', line)
    if m:
        route, le, n = m.group(1), m.group(2), float(m.group(3))
        buckets.setdefault(route, []).append((float("inf") if le == "+Inf" else float(le), n))
for route, rows in sorted(buckets.items()):
    rows.sort()
    total = rows[-1][1]
    if total == 0:
        continue
    out = []
    for q in (0.5, 0.99, 0.999):
        le = next(b for b, n in rows if n >= q * total)
        out.append(f"p{q * 100:g} <= {le * 1000:g} ms")
    print(f"{route}: {int(total)} requests; " + ", ".join(out))
