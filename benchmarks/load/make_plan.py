#!/usr/bin/env python3
"""Write an apiary-plan/1 document with HOSTS hosts for the load benchmark.

usage: make_plan.py HOSTS OUT.json [DIGEST_CHAR]
"""
import json
import sys

hosts = int(sys.argv[1])
out = sys.argv[2]
digest = (sys.argv[3] if len(sys.argv) > 3 else "d") * 64
services = max(1, hosts // 10)
count = 20
names = [f"host-{i:05d}" for i in range(hosts)]
assignments = []
slot = 0 if digest[0] == "d" else 7  # a second plan moves every instance
for s in range(services):
    for i in range(count):
        assignments.append({"service": f"svc{s}.prod", "instance": i, "host": names[slot % hosts]})
        slot += 1
doc = {
    "format": "apiary-plan/1",
    "inventory": {"digest": digest, "files": ["benchmarks/load/generated"]},
    "summary": {"hosts_total": hosts, "hosts_used": hosts, "hosts_freed": 0, "lower_bound": hosts,
                "instances": len(assignments), "unplaced": 0, "moves": 0, "utilization": {"cpu": 0.5}},
    "assignments": assignments,
    "unplaced": [],
    "hosts": [{"name": n, "instances": 0, "utilization": {}} for n in names],
    "services": [{"name": f"svc{s}.prod", "package": f"bench/pkg{s}/1.0.0/20240101000000", "count": count,
                  "requests": {"cpu": 0.5, "memory": 536870912}} for s in range(services)],
}
with open(out, "w") as f:
    json.dump(doc, f)
