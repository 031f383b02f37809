#!/usr/bin/env python3
"""A tiny stand-in for `apiary plan INVENTORY --format json [--seed N] [--time-limit S] [--output F]`,
used to develop the harness before Apiary's CLI exists. It packs with the harness's FFD and writes
an `apiary-plan/1` document (summary, assignments, unplaced, hosts; migration waves as one move per
wave when the inventory has a current placement). Not a benchmark subject.

    python3 benchmarks/harness/compare.py --apiary benchmarks/harness/fake_apiary.py --quick
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import model, peers  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["plan"])
    ap.add_argument("inventory", nargs="+")
    ap.add_argument("--format", default="json")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=2.0)
    ap.add_argument("--output")
    a = ap.parse_args()
    inv = {}
    for path in a.inventory:
        with open(path) as f:
            part = json.load(f)
        for k, v in part.items():
            if isinstance(v, list):
                inv.setdefault(k, []).extend(v)
            else:
                inv[k] = v
    p = model.from_inventory(inv)
    out = peers.ffd(p, a.seed)
    svc = p.svc_of_instance()
    lb, _ = model.lower_bound(p)
    assigns, unplaced = [], []
    for i in range(p.N):
        s = svc[i]
        k = int(i - p.offset[s])
        if out[i] >= 0:
            assigns.append({"service": p.svc_names[s], "instance": k, "host": p.host_names[out[i]]})
        else:
            unplaced.append({"service": p.svc_names[s], "instance": k, "reasons": {"no fit": p.H}})
    used = sorted(set(out[out >= 0].tolist()))
    doc = {"format": "apiary-plan/1",
           "summary": {"hosts_total": p.H, "hosts_used": len(used), "hosts_freed": p.H - len(used),
                       "lower_bound": lb, "instances": p.N, "unplaced": len(unplaced), "moves": 0,
                       "utilization": {}},
           "assignments": assigns, "unplaced": unplaced,
           "hosts": [{"name": p.host_names[h], "instances": int((out == h).sum()), "utilization": {}} for h in used]}
    if p.current is not None:
        moves = [{"service": p.svc_names[svc[i]], "instance": int(i - p.offset[svc[i]]),
                  "from": p.host_names[p.current[i]] if p.current[i] >= 0 else None,
                  "to": p.host_names[out[i]]} for i in range(p.N) if out[i] >= 0 and out[i] != p.current[i]]
        doc["summary"]["moves"] = sum(1 for m in moves if m["from"] is not None)
        doc["migration"] = {"waves": [[m] for m in moves]}
    text = json.dumps(doc)
    if a.output:
        with open(a.output, "w") as f:
            f.write(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
