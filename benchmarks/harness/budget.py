#!/usr/bin/env python3
"""Move budgets on running fleets: how many hosts `--max-moves B` frees (issue 4, item 1).

The fleets are those of `fleet.py` (generated at 20-30 % utilization, every instance on a
uniformly random feasible host). Each fleet is planned with `--max-moves B` for B a fraction of
its running instances, by one or more Apiary binaries side by side, and each plan is checked
(`model.verify`, every wave with `roadef.check_waves`, moves counted after the best relabelling
within each service must be <= B).

**Hosts lower bound** for a budget B: a plan that moves at most B running instances can empty
only hosts whose running instances add up to at most B, so it keeps at least the hosts in use
now minus the largest number of hosts whose instance counts sum to <= B (the emptiest first).
It ignores capacity, so it is optimistic; instances that do not run yet may need hosts too.

    python3 benchmarks/harness/budget.py --apiary OLD --apiary NEW [--sizes 10000] [--utils 0.25]
        [--fractions 0.05,0.1,0.25,0.5] [--uniform-hosts] [--seeds 1] [--out DIR]
    python3 benchmarks/harness/budget.py --apiary OLD --apiary NEW --roadef [--only a1] [--fractions 0.01,0.05]

With --roadef, the ROADEF/EURO 2012 instances (converted at load time by harness/datasets.py,
skipped when ../shared/datasets is absent) with their initial assignment replace the fleets.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from harness import datasets, model  # noqa: E402
from harness import generate  # noqa: E402
from harness.compare import BENCH, machine, plan_to_hosts  # noqa: E402
from harness.fleet import check_host_rules_in_waves, fleet_at, min_moves  # noqa: E402
from harness.roadef import check_waves, spread_placement  # noqa: E402


def hosts_bound(p: model.Problem, budget: int) -> int:
    """Fewest hosts any plan moving at most `budget` running instances keeps in use."""
    cnt = np.bincount(p.current[p.current >= 0], minlength=p.H)
    used = np.sort(cnt[cnt > 0])
    freed = int(np.searchsorted(np.cumsum(used), budget, side="right"))
    return int(len(used) - freed)


def run(binary: str, inv_path: str, plan_path: str, budget: int, timeout: float) -> dict:
    cmd = [binary, "plan", inv_path, "--format", "json", "--max-moves", str(budget), "--output", plan_path]
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    el = time.perf_counter() - t
    if r.returncode != 0:
        return {"error": f"exit {r.returncode}: {r.stderr.strip()[-300:]}", "time": el}
    with open(plan_path) as f:
        return {"doc": json.load(f), "time": el}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--apiary", action="append", required=True, help="apiary binary (repeat to compare)")
    ap.add_argument("--sizes", default="10000")
    ap.add_argument("--utils", default="0.2,0.25,0.3")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--fractions", default="0.05,0.1,0.25,0.5")
    ap.add_argument("--uniform-hosts", action="store_true")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--out", default=None)
    ap.add_argument("--roadef", action="store_true",
                    help="instead of generated fleets: the ROADEF 2012 instances with their initial assignment")
    ap.add_argument("--only", default=None, help="with --roadef: only instances whose id contains this")
    args = ap.parse_args()
    outdir = args.out or os.path.join(BENCH, "results", "budget-" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
    os.makedirs(outdir, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
    names = [os.path.basename(os.path.dirname(b)) or b for b in args.apiary]
    rows = []

    def inventories():
        if args.roadef:
            for iid in datasets.roadef_ids():
                if args.only and args.only not in iid:
                    continue
                yield datasets.roadef(iid)
            return
        for n in [int(x) for x in args.sizes.split(",")]:
            for util in [float(x) for x in args.utils.split(",")]:
                for seed in [int(x) for x in args.seeds.split(",")]:
                    yield spread_placement(fleet_at(n, util, seed, uniform=args.uniform_hosts), seed)

    for inv in inventories():
        name = inv["meta"]["name"]
        p = model.from_inventory(inv, name)
        running = int((p.current >= 0).sum())
        before = len(set(p.current[p.current >= 0].tolist()))
        path = os.path.join(outdir, f"{name}.json")
        inv_doc = generate.strip_meta(inv)
        model.write_inventory(inv_doc, path)
        for frac in [float(x) for x in args.fractions.split(",")]:
            budget = int(frac * running)
            row = {"fleet": name, "before": before, "budget": budget, "fraction": frac,
                   "bound": hosts_bound(p, budget), "runs": []}
            for k, binary in enumerate(args.apiary):
                plan_path = os.path.join(outdir, f"{name}-b{budget}-{k}.plan.json")
                r = run(binary, path, plan_path, budget, args.timeout)
                if "error" in r:
                    row["runs"].append({"error": r["error"], "time": r["time"]})
                    continue
                out, perr = plan_to_hosts(p, r["doc"])
                chk = model.verify(p, out)
                moves = min_moves(p, p.current, out)
                mig = r["doc"].get("migration") or {}
                waves = mig.get("waves", [])
                werr = check_waves(p, waves, out, int(inv["policy"].get("max_unavailable", 1)), mig.get("spare_hosts"))
                werr += check_host_rules_in_waves(p, waves)
                errs = perr + chk.errors + werr + ([f"moves {moves} > budget {budget}"] if moves > budget else [])
                row["runs"].append({"hosts": chk.hosts_used, "moves": moves, "unplaced": chk.unplaced,
                                    "waves": len(waves), "time": r["time"], "ok": not errs, "errors": errs[:3]})
            print(json.dumps(row), flush=True)
            rows.append(row)
    with open(os.path.join(outdir, "budget.jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    head = " | ".join(f"{nm}: hosts / moves / time" for nm in names)
    L = [f"Run {started} UTC; machine: {machine()}; `python3 benchmarks/harness/budget.py "
         + " ".join(f"--apiary {b}" for b in args.apiary)
         + (" --roadef" + (f" --only {args.only}" if args.only else "") if args.roadef
            else f" --sizes {args.sizes} --utils {args.utils} --seeds {args.seeds}")
         + f" --fractions {args.fractions}" + (" --uniform-hosts" if args.uniform_hosts else "") + "`.\n",
         f"| fleet | hosts before | budget (moves) | hosts lower bound | {head} | checks |",
         "|---|---|---|---|" + "---|" * len(names) + "---|"]
    for r in rows:
        cells = []
        ok = True
        for x in r["runs"]:
            if "error" in x:
                cells.append("error")
                ok = False
                continue
            unp = f" +{x['unplaced']}u" if x["unplaced"] else ""
            cells.append(f"{x['hosts']}{unp} / {x['moves']} / {x['time']:.2f} s")
            ok = ok and x["ok"]
        errs = "; ".join(e for x in r["runs"] for e in x.get("errors", []))[:100].replace("|", "/")
        L.append(f"| {r['fleet']} | {r['before']} | {r['budget']} ({r['fraction']:.0%}) | {r['bound']} | "
                 + " | ".join(cells) + f" | {'ok' if ok else '✗ ' + errs} |")
    md = "\n".join(L) + "\n"
    with open(os.path.join(outdir, "budget.md"), "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()
