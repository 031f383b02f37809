#!/usr/bin/env python3
"""Running fleets at 20-30 % utilization: move-aware plan vs from-scratch plan (issue 4 targets).

For each size N and utilization U, a generated fleet (`generate.fleet`) gets as many hosts as
put its demand at U of their capacity (dominant dimension), and a current placement with every
instance on a uniformly random feasible host (`roadef.spread_placement`: a fleet that grew
without consolidation). Apiary then plans it twice:

- **move-aware**: with the current placement (`[[placement]]`): hosts, moves, waves, time;
- **from scratch**: the same inventory without placement; its moves are counted against the same
  current placement twice: as numbered (`raw`) and after the best relabelling of instance numbers
  within each service (`min`: only instances that must change host count), which is the fair
  baseline (a from-scratch planner does not know which replica runs where).

Targets (issue 4): move-aware hosts <= from-scratch hosts + 1, and move-aware moves <= 60 % of
the from-scratch moves (`min`). Plans and every wave are checked independently
(`model.verify`, `roadef.check_waves`, plus spread=host and exclusivity on old+new copies here).
Also times the 10,000-instance / 1,000-host fleet (target: plan including waves <= 3 s).

    python3 benchmarks/harness/fleet.py [--apiary PATH] [--sizes 1000,10000] [--utils 0.2,0.25,0.3]
                                        [--seeds 1] [--update-readme]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections import Counter, defaultdict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from harness import generate, model  # noqa: E402
from harness.compare import BENCH, DEFAULT_APIARY, machine, plan_to_hosts, run_apiary  # noqa: E402
from harness import roadef  # noqa: E402
from harness.roadef import check_waves, spread_placement  # noqa: E402

README = os.path.join(BENCH, "README.md")
MARK_BEGIN, MARK_END = "<!-- fleet:begin -->", "<!-- fleet:end -->"


def demand_utilization(inv: dict) -> float:
    """Dominant-dimension demand / capacity over every host of an inventory (cpu, memory)."""
    p = model.from_inventory(inv)
    dem = p.req[p.svc_of_instance()].sum(axis=0).astype(float)
    cap = p.usable.sum(axis=0).astype(float)
    return float(max(dem[d] / cap[d] for d in range(p.D) if p.dims[d] in ("cpu", "memory")))


def uniform_hosts(inv: dict) -> dict:
    """Every host the same shape (64 cores, 256 GiB, 2 TiB); zones and arch labels kept."""
    for h in inv["host"]:
        h["capacity"] = {"cpu": 64, "memory": "256GiB", "disk": "2TiB"}
    return inv


def fleet_at(n: int, util: float, seed: int, uniform: bool = False) -> dict:
    """generate.fleet with the host count scaled so the demand is `util` of the capacity
    (`uniform`: every host of one shape)."""
    shape = uniform_hosts if uniform else (lambda inv: inv)
    base = shape(generate.fleet(n, seed))
    u0 = demand_utilization(base)
    hpi = 0.1 * u0 / util
    inv = shape(generate.fleet(n, seed, hosts_per_instance=hpi))
    inv["meta"]["name"] = f"fleet-{n}-u{int(round(util * 100))}-s{seed}" + ("-uniform" if uniform else "")
    return inv


def min_moves(p: model.Problem, current: np.ndarray, target: np.ndarray) -> int:
    """Moves of `target` after the best relabelling within each service: running instances
    minus, per (service, host), the instances that can stay."""
    svc = p.svc_of_instance()
    now, after = Counter(), Counter()
    running = Counter()
    for i in range(p.N):
        if current[i] >= 0:
            now[(svc[i], int(current[i]))] += 1
        if current[i] >= 0 and target[i] >= 0:
            running[svc[i]] += 1
        if target[i] >= 0:
            after[(svc[i], int(target[i]))] += 1
    stay = Counter()
    for (s, h), c in now.items():
        stay[s] += min(c, after.get((s, h), 0))
    return int(sum(max(0, running[s] - stay[s]) for s in running))


def moves_lower_bound(p: model.Problem, hosts_after: int, placed: np.ndarray | None = None) -> int:
    """Moves any plan on `hosts_after` hosts needs, among plans that place the instances
    `placed` marks (all when `None`).

    A host holding an exclusive tenant holds nothing else, so the hosts split into tenant
    hosts and shared hosts. Each tenant service with an instance placed needs a host of its
    own (one per placed instance when it spreads over hosts): M hosts in all. At most every
    running tenant instance stays on a tenant host, and at most the running shared instances
    on the `hosts_after - M` hosts that run the most of them now stay on shared hosts. Every
    other running instance moves. Capacity is ignored, so the bound is optimistic."""
    run = p.current >= 0
    svc = p.svc_of_instance()
    tenant = p.exclusive[svc]
    if placed is None:
        placed = np.ones(p.N, dtype=bool)
    m = 0
    for s in np.flatnonzero(p.exclusive):
        n = int(placed[p.offset[s]:p.offset[s + 1]].sum())
        m += (n if p.spread[s] == "host" else 1) if n else 0
    shared = np.bincount(p.current[run & ~tenant], minlength=p.H)
    stays = int((run & tenant).sum()) + int(np.sort(shared)[::-1][:max(0, hosts_after - m)].sum())
    return int(run.sum()) - stays


def check_host_rules_in_waves(p: model.Problem, waves: list) -> list[str]:
    """spread=host and exclusivity on the union of old and new copies during each wave."""
    errs: list[str] = []
    hidx = {n: i for i, n in enumerate(p.host_names)}
    sidx = {n: i for i, n in enumerate(p.svc_names)}
    svc = p.svc_of_instance()
    state = p.current.copy()
    on = defaultdict(Counter)  # host -> service -> copies
    for i in np.flatnonzero(state >= 0):
        on[int(state[i])][int(svc[i])] += 1
    for w, wave in enumerate(waves):
        union = {h: Counter(c) for h, c in on.items()}
        moves = []
        for mv in wave:
            s, h = sidx[mv["service"]], hidx[mv["to"]]
            i = int(p.offset[s] + int(mv["instance"]))
            union.setdefault(h, Counter())[s] += 1
            moves.append((i, s, hidx.get(mv["from"]) if mv["from"] is not None else -1, h))
        for _, s, _, h in moves:
            u = union[h]
            if p.spread[s] == "host" and u[s] > 1 and len(errs) < 8:
                errs.append(f"wave {w}: {u[s]} copies of {p.svc_names[s]} on {p.host_names[h]}")
            others = sum(c for t, c in u.items() if t != s and c > 0)
            excl = p.exclusive[s] or any(p.exclusive[t] for t, c in u.items() if c > 0 and t != s)
            if excl and others > 0 and len(errs) < 8:
                errs.append(f"wave {w}: exclusive service shares {p.host_names[h]}")
        for i, s, f, h in moves:
            on[h][s] += 1
            if f >= 0:
                on[f][s] -= 1
    return errs


def run_one(args, n: int, util: float, seed: int, outdir: str) -> dict:
    inv = spread_placement(fleet_at(n, util, seed, uniform=args.uniform_hosts), seed)
    name = inv["meta"]["name"]
    p = model.from_inventory(inv, name)
    used = sorted(set(p.current[p.current >= 0].tolist()))
    u = p.req[p.svc_of_instance()[p.current >= 0]].sum(axis=0) / p.usable[used].sum(axis=0)
    rec = {"name": name, "instances": p.N, "hosts": p.H, "hosts_before": len(used),
           "not_running": int((p.current < 0).sum()),
           "util_before": {d: round(float(x), 3) for d, x in zip(p.dims, u)}, "lb": model.lower_bound(p)[0]}
    for mode in ("moves", "scratch"):
        doc_inv = generate.strip_meta(inv)
        if mode == "scratch":
            doc_inv = {k: v for k, v in doc_inv.items() if k != "placement"}
        path = os.path.join(outdir, f"{name}-{mode}.json")
        model.write_inventory(doc_inv, path)
        r = run_apiary(args.apiary, path, os.path.join(outdir, f"{name}-{mode}.plan.json"), 1,
                       args.time_limit, timeout=args.timeout)
        if "error" in r:
            rec[mode] = {"error": r["error"], "time": r["time"]}
            continue
        out, perr = plan_to_hosts(p, r["doc"])
        chk = model.verify(p, out)
        raw = int(((out != p.current) & (out >= 0) & (p.current >= 0)).sum())
        e = {"hosts": chk.hosts_used, "unplaced": chk.unplaced, "moves": raw, "min_moves": min_moves(p, p.current, out),
             "time": r["time"], "ok": chk.ok and not perr, "errors": (perr + chk.errors)[:4]}
        if mode == "moves":
            mig = r["doc"].get("migration") or {}
            waves = mig.get("waves", [])
            werr = check_waves(p, waves, out, int(inv["policy"].get("max_unavailable", 1)), mig.get("spare_hosts"))
            werr += check_host_rules_in_waves(p, waves)
            e.update(waves=len(waves), spares=len(mig.get("spare_hosts") or []),
                     max_wave=max((len(w) for w in waves), default=0),
                     moves_lb=moves_lower_bound(p, chk.hosts_used, out >= 0))
            e["ok"] = e["ok"] and not werr
            e["errors"] += werr[:4]
        rec[mode] = e
        if mode == "moves":
            placed = out >= 0
    # The target allows the from-scratch hosts + 1: the fewest moves any plan on that many
    # hosts needs (placing what the move-aware plan places) decides whether it can be met.
    if "error" not in rec["moves"] and "error" not in rec["scratch"]:
        rec["moves"]["moves_lb_target"] = moves_lower_bound(p, rec["scratch"]["hosts"] + 1, placed)
    print(json.dumps(rec), flush=True)
    return rec


def render(rows: list[dict], args, started: str) -> str:
    L = [f"Run {started} UTC; machine: {machine()}; Apiary: `{args.apiary}`"
         + (f" --time-limit {args.time_limit}" if args.time_limit is not None else " (default time limit)")
         + "; `python3 benchmarks/harness/fleet.py" + (" " + " ".join(args.argv) if args.argv else "") + "`.\n",
         "| fleet | instances | hosts | util. before (cpu/mem) | lower bound | from scratch: hosts / moves raw / min / time "
         "| move-aware: hosts / moves / waves / time | hosts Δ | moves / scratch min | moves lower bound | targets | checks |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        sc, mv = r.get("scratch", {}), r.get("moves", {})
        if not sc or not mv or "error" in sc or "error" in mv:
            err = (sc.get("error") or mv.get("error") or "–")[:60].replace("|", "/")
            L.append(f"| {r['name']} | {r['instances']} | {r['hosts']} | – | {r['lb']} | – | – | – | – | – | – | {err} |")
            continue
        u = r["util_before"]
        ratio = mv["moves"] / sc["min_moves"] if sc["min_moves"] else float("nan")
        dh = mv["hosts"] - sc["hosts"]
        met = "✓" if dh <= 1 and ratio <= 0.6 else "✗"
        lbm = mv["moves_lb"]
        lbt = mv.get("moves_lb_target", lbm if mv["hosts"] == sc["hosts"] + 1 else 0)
        if ratio > 0.6 and sc["min_moves"] and lbt > 0.6 * sc["min_moves"]:
            met += f" (≤ 60 % impossible: any {sc['hosts'] + 1}-host plan moves ≥ {lbt / sc['min_moves']:.2f})"
        ok = "ok" if sc["ok"] and mv["ok"] else "✗ " + "; ".join(sc["errors"] + mv["errors"])[:100].replace("|", "/")
        unp = lambda e: f" +{e['unplaced']}u" if e["unplaced"] else ""  # noqa: E731
        L.append(
            f"| {r['name']} | {r['instances']} | {r['hosts_before']} | {u.get('cpu', 0):.2f}/{u.get('memory', 0):.2f} | {r['lb']} | "
            f"{sc['hosts']}{unp(sc)} / {sc['moves']} / {sc['min_moves']} / {sc['time']:.2f} s | "
            f"{mv['hosts']}{unp(mv)} / {mv['moves']} / {mv['waves']} / {mv['time']:.2f} s | {dh:+d} | {ratio:.2f} | {lbm} | {met} | {ok} |")
    return "\n".join(L) + "\n"


def update_readme(md: str, begin: str = MARK_BEGIN, end: str = MARK_END) -> None:
    with open(README) as f:
        text = f.read()
    block = f"{begin}\n{md}{end}"
    if begin in text and end in text:
        a = text.index(begin)
        b = text.index(end) + len(end)
        text = text[:a] + block + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(README, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--apiary", default=None, help="apiary binary (default: .build-bench/release/apiary)")
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--utils", default="0.2,0.25,0.3")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--uniform-hosts", action="store_true",
                    help="every host of one shape (64 cores, 256 GiB), so no host class is preferred")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--out", default=None)
    ap.add_argument("--update-readme", action="store_true")
    ap.add_argument("--roadef", action="store_true",
                    help="instead: the ROADEF 2012 instances through harness/roadef.py (per instance hosts "
                         "before -> after, moves, waves, time), recorded in this section")
    ap.add_argument("--only", default=None, help="with --roadef: only instances whose id contains this")
    args = ap.parse_args()
    shown = {"--sizes": args.sizes, "--utils": args.utils, "--seeds": args.seeds}
    if args.time_limit is not None:
        shown["--time-limit"] = args.time_limit
    args.argv = [f"{k} {v}" for k, v in shown.items()] + (["--uniform-hosts"] if args.uniform_hosts else [])
    args.apiary = args.apiary or DEFAULT_APIARY
    if not os.path.exists(args.apiary):
        sys.exit(f"no apiary binary at {args.apiary} (build: swift build -c release --scratch-path .build-bench)")
    outdir = args.out or os.path.join(BENCH, "results", "fleet-" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
    os.makedirs(outdir, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
    if args.roadef:
        rargs = argparse.Namespace(apiary=args.apiary, apiary_time_limit=args.time_limit, timeout=args.timeout,
                                   only=args.only, out=outdir, update_readme=False, no_fleets=True)
        roadef.run(rargs)
        with open(os.path.join(outdir, "roadef.md")) as f:
            md = f.read()
        if args.update_readme:
            update_readme(md, "<!-- fleet-roadef:begin -->", "<!-- fleet-roadef:end -->")
        return
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        for util in [float(x) for x in args.utils.split(",")]:
            for seed in [int(x) for x in args.seeds.split(",")]:
                rows.append(run_one(args, n, util, seed, outdir))
    with open(os.path.join(outdir, "fleet.jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    md = render(rows, args, started)
    with open(os.path.join(outdir, "fleet.md"), "w") as f:
        f.write(md)
    print(md)
    if args.update_readme:
        if args.uniform_hosts:
            update_readme(md, "<!-- fleet-uniform:begin -->", "<!-- fleet-uniform:end -->")
        else:
            update_readme(md)


if __name__ == "__main__":
    main()
