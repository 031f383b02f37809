#!/usr/bin/env python3
"""Server-side latency quantiles from `apiary serve`'s /metrics histogram (bucket upper bounds),
and the status writer's counters (reports per commit, reports acknowledged before their commit).

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

counters = {}
for line in open(sys.argv[1]):
    m = re.match(r'(apiary_status_\w+_total) (\S+)', line)
    if m:
        counters[m.group(1)] = float(m.group(2))
if counters.get("apiary_status_commits_total"):
    written = counters.get("apiary_status_reports_written_total", 0)
    commits = counters["apiary_status_commits_total"]
    print(f"status writer: {int(written)} reports in {int(commits)} commits ({written / commits:.2f} per commit); "
          f"{int(counters.get('apiary_status_acknowledged_early_total', 0))} acknowledged before their commit")
