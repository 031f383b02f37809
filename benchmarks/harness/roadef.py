#!/usr/bin/env python3
"""Running fleets: the ROADEF/EURO 2012 Google machine-reassignment instances (converted at load
time by harness/datasets.roadef, see its docstring for the mapping and simplifications).

Per instance: hosts before (machines used by the initial assignment) -> hosts after Apiary's
move-aware plan, moves, migration waves (`migration.waves`) and wall time; the plan's final
placement and every wave are checked independently here (capacity during each wave with old and
new copies both counted, per-service max_unavailable, the Habitat package-name rule = ROADEF's
conflict constraint on every intermediate state, no chains or repeated moves, last state =
assignments). For reference, first-fit decreasing from scratch (ignores where processes run) and
the lower bound.

    python3 benchmarks/harness/roadef.py [--apiary PATH] [--only a1_] [--no-fleets] [--update-readme]

Also (unless --no-fleets): generated fleets (1k, 10k instances; 2 seeds) with every instance on a
random feasible host, planned move-aware and from scratch (issue 4's hosts/moves target).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections import Counter, defaultdict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from harness import datasets, generate, model, peers  # noqa: E402
from harness.compare import BENCH, DEFAULT_APIARY, machine, plan_to_hosts, run_apiary, update_readme  # noqa: E402


def check_waves(p: model.Problem, waves: list, final: np.ndarray, max_unavailable_default: int = 1,
                spare_hosts: list | None = None) -> list[str]:
    """Independent check of migration waves. An instance may move twice only when its first move
    parked it on a declared spare host (issue 4: a cycle of moves may use a free spare host, and
    the plan says so); any other second move is a chain."""
    spares = set(spare_hosts or [])
    errs: list[str] = []
    def err(m):
        if len(errs) < 8:
            errs.append(m)
    hidx = {n: i for i, n in enumerate(p.host_names)}
    sidx = {n: i for i, n in enumerate(p.svc_names)}
    svc = p.svc_of_instance()
    state = p.current.copy() if p.current is not None else np.full(p.N, -1, dtype=np.int64)
    load = np.zeros((p.H, p.D), dtype=np.int64)
    on = state >= 0
    np.add.at(load, state[on], p.req[svc[on]])
    # package names present per host (Habitat rule), as counts
    pk: dict[int, Counter] = defaultdict(Counter)
    if p.supervisor == "habitat":
        for i in np.flatnonzero(on):
            pk[int(state[i])][p.svc_pkgname[svc[i]]] += 1
    moved = set()
    for w, wave in enumerate(waves):
        arrivals = np.zeros_like(load)
        per_svc = Counter()
        in_wave = set()
        departures = []
        for mv in wave:
            s = sidx.get(mv["service"])
            h = hidx.get(mv["to"])
            if s is None or h is None:
                err(f"wave {w}: unknown service/host in {mv}")
                continue
            i = int(p.offset[s] + int(mv["instance"]))
            parked = mv.get("from") in spares and int(state[i]) == hidx.get(mv.get("from"))
            if i in in_wave or (i in moved and not parked):
                err(f"wave {w}: instance {mv['service']}#{mv['instance']} moves again (chain)")
            in_wave.add(i)
            frm = mv.get("from")
            f = hidx.get(frm) if frm is not None else -1
            if int(state[i]) != f:
                err(f"wave {w}: {mv['service']}#{mv['instance']} is on {state[i]}, move says from {frm}")
            if f == h:
                err(f"wave {w}: move to the same host {mv}")
            if p.states[h] != "active":
                err(f"wave {w}: move onto {p.states[h]} host {mv['to']}")
            arrivals[h] += p.req[s]
            per_svc[s] += 1
            departures.append((i, f, h, s))
        for s, c in per_svc.items():
            if c > max_unavailable_default:
                err(f"wave {w}: {c} instances of {p.svc_names[s]} in motion (max_unavailable {max_unavailable_default})")
        over = np.argwhere(load + arrivals > p.usable)
        for h, d in over[:3]:
            err(f"wave {w}: host {p.host_names[h]} {p.dims[d]} {load[h, d] + arrivals[h, d]} > {p.usable[h, d]} during the wave")
        if p.supervisor == "habitat":
            for i, f, h, s in departures:
                pk[h][p.svc_pkgname[s]] += 1
            for i, f, h, s in departures:
                if pk[h][p.svc_pkgname[s]] > 1:
                    err(f"wave {w}: package name {p.svc_pkgname[s]} twice on {p.host_names[h]} during the wave")
            for i, f, h, s in departures:
                if f >= 0:
                    pk[f][p.svc_pkgname[s]] -= 1
        for i, f, h, s in departures:
            load[h] += p.req[s]
            if f >= 0:
                load[f] -= p.req[s]
            state[i] = h
            moved.add(i)
    diff = np.flatnonzero(state != final)
    if len(diff):
        err(f"state after the last wave differs from assignments for {len(diff)} instances")
    return errs


def run(args):
    ids = [i for i in datasets.roadef_ids() if not args.only or args.only in i]
    outdir = args.out or os.path.join(BENCH, "results", "roadef-" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
    os.makedirs(outdir, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
    rows = []
    for iid in ids:
        inv = datasets.roadef(iid)
        meta = inv["meta"]
        p = model.from_inventory(inv, meta["name"])
        lb, _ = model.lower_bound(p)
        before_ok = model.verify(p, p.current)
        rec = {"id": iid, **{k: meta[k] for k in ("processes", "machines", "resources", "roadef_services",
                                                   "apiary_services", "locations", "hosts_before")},
               "lb": lb, "initial_valid": before_ok.ok}
        t = time.perf_counter()
        ff = peers.ffd(p)
        rec["ffd"] = {"hosts": model.verify(p, ff).hosts_used, "unplaced": int((ff < 0).sum()),
                      "moves": int(((ff != p.current) & (ff >= 0) & (p.current >= 0)).sum()),
                      "time": time.perf_counter() - t}
        if args.apiary:
            inv_path = os.path.join(outdir, f"{meta['name']}.json")
            model.write_inventory(generate.strip_meta(inv), inv_path)
            r = run_apiary(args.apiary, inv_path, os.path.join(outdir, f"{meta['name']}.plan.json"), 1,
                           args.apiary_time_limit, timeout=args.timeout)
            if "error" in r:
                rec["apiary"] = {"error": r["error"], "time": r["time"]}
            else:
                doc = r["doc"]
                out, perr = plan_to_hosts(p, doc)
                chk = model.verify(p, out)
                waves = (doc.get("migration") or {}).get("waves", [])
                werr = check_waves(p, waves, out, int(inv["policy"].get("max_unavailable", 1)),
                                   (doc.get("migration") or {}).get("spare_hosts"))
                moves = int(((out != p.current) & (out >= 0) & (p.current >= 0)).sum())
                summ = doc.get("summary", {})
                errs = perr + chk.errors + werr
                if summ.get("moves") is not None and summ["moves"] != moves:
                    errs.append(f"summary.moves {summ['moves']} != {moves} counted")
                rec["apiary"] = {"hosts": chk.hosts_used, "unplaced": chk.unplaced, "moves": moves,
                                 "waves": len(waves), "time": r["time"], "lower_bound": summ.get("lower_bound"),
                                 "ok": not errs, "errors": errs[:6]}
        rows.append(rec)
        a = rec.get("apiary", {})
        print(f"{iid:<6} P={rec['processes']:<6} M={rec['machines']:<5} before={rec['hosts_before']:<5} "
              f"lb={lb:<5} ffd={rec['ffd']['hosts']}(+{rec['ffd']['unplaced']}u) apiary={a}", flush=True)
    with open(os.path.join(outdir, "roadef.jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    md = render(rows, args, started)
    if args.apiary and not args.no_fleets:
        md += "\n" + render_fleets(fleet_rows(args, outdir))
    with open(os.path.join(outdir, "roadef.md"), "w") as f:
        f.write(md)
    print(md)
    if args.update_readme:
        update_readme("Running fleets (ROADEF 2012)", md, marker="roadef")


def spread_placement(inv: dict, seed: int) -> dict:
    """Adds a current placement to a generated fleet: every instance on a uniformly random feasible
    host (a fleet that grew without consolidation, ~20-30 % utilization on the hosts in use)."""
    p = model.from_inventory(inv)
    rng = np.random.default_rng(seed + 99)
    c = peers.Cluster(p)
    svc = p.svc_of_instance()
    counts = Counter()
    for i in range(p.N):
        s = svc[i]
        cand = np.flatnonzero(c.feasible(s))
        if len(cand) == 0:
            continue
        h = int(cand[rng.integers(len(cand))])
        c.place(s, h)
        counts[(p.host_names[h], p.svc_names[s])] += 1
    inv = dict(inv)
    inv["placement"] = [{"host": h, "service": s, "count": k} for (h, s), k in sorted(counts.items())]
    return inv


def fleet_rows(args, outdir: str, sizes=(1000, 10000), seeds=(1, 2)) -> list[dict]:
    """Move-aware plan vs from-scratch plan on generated fleets with a spread-out current placement."""
    rows = []
    for n in sizes:
        for seed in seeds:
            inv = spread_placement(generate.fleet(n, seed), seed)
            name = f"{inv['meta']['name']}-placed"
            p = model.from_inventory(inv, name)
            util = (p.req[p.svc_of_instance()].sum(axis=0) / p.usable[sorted(set(p.current[p.current >= 0].tolist()))].sum(axis=0))
            rec = {"name": name, "instances": p.N, "hosts": p.H, "hosts_before": len(set(p.current[p.current >= 0].tolist())),
                   "util_before": {d: round(float(u), 3) for d, u in zip(p.dims, util)}, "lb": model.lower_bound(p)[0]}
            for mode in ("moves", "scratch"):
                doc_inv = generate.strip_meta(inv) if mode == "moves" else {k: v for k, v in generate.strip_meta(inv).items() if k != "placement"}
                path = os.path.join(outdir, f"{name}-{mode}.json")
                model.write_inventory(doc_inv, path)
                r = run_apiary(args.apiary, path, os.path.join(outdir, f"{name}-{mode}.plan.json"), 1,
                               args.apiary_time_limit, timeout=args.timeout)
                if "error" in r:
                    rec[mode] = {"error": r["error"], "time": r["time"]}
                    continue
                out, perr = plan_to_hosts(p, r["doc"])
                chk = model.verify(p, out)
                moves = int(((out != p.current) & (out >= 0) & (p.current >= 0)).sum())
                e = {"hosts": chk.hosts_used, "unplaced": chk.unplaced, "moves": moves, "time": r["time"],
                     "ok": chk.ok and not perr, "errors": (perr + chk.errors)[:4]}
                if mode == "moves":
                    waves = (r["doc"].get("migration") or {}).get("waves", [])
                    werr = check_waves(p, waves, out, 1, (r["doc"].get("migration") or {}).get("spare_hosts"))
                    e["waves"] = len(waves)
                    e["ok"] = e["ok"] and not werr
                    e["errors"] += werr[:4]
                rec[mode] = e
            rows.append(rec)
            print(rec, flush=True)
    return rows


def render_fleets(rows) -> str:
    L = ["Generated fleets (`harness/generate.py fleet`) with every instance on a random feasible host "
         "(issue 4 target: move-aware plan ≤ from-scratch hosts + 1, with ≤ 60 % of the from-scratch moves):\n",
         "| fleet | instances | hosts before | util. before (cpu/mem) | lower bound | from scratch: hosts / moves / time | move-aware: hosts / moves / waves / time | moves ratio | checks |",
         "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        sc, mv = r.get("scratch", {}), r.get("moves", {})
        if "error" in sc or "error" in mv or not sc or not mv:
            L.append(f"| {r['name']} | {r['instances']} | {r['hosts_before']} | – | {r['lb']} | {sc.get('error', '–')[:50]} | {mv.get('error', '–')[:50]} | – | error |")
            continue
        u = r["util_before"]
        ratio = mv["moves"] / sc["moves"] if sc["moves"] else float("nan")
        ok = "ok" if sc["ok"] and mv["ok"] else "✗ " + "; ".join(sc["errors"] + mv["errors"])[:100].replace("|", "/")
        L.append(f"| {r['name']} | {r['instances']} | {r['hosts_before']} | {u.get('cpu', 0):.2f}/{u.get('memory', 0):.2f} | {r['lb']} | "
                 f"{sc['hosts']}{' +' + str(sc['unplaced']) + 'u' if sc['unplaced'] else ''} / {sc['moves']} / {sc['time']:.2f} s | "
                 f"{mv['hosts']}{' +' + str(mv['unplaced']) + 'u' if mv['unplaced'] else ''} / {mv['moves']} / {mv['waves']} / {mv['time']:.2f} s | {ratio:.2f} | {ok} |")
    return "\n".join(L) + "\n"


def render(rows, args, started) -> str:
    L = [f"Run {started} UTC; machine: {machine()}; Apiary: `{args.apiary or 'not run'}`"
         + (f" --time-limit {args.apiary_time_limit}" if args.apiary_time_limit is not None else " (default time limit)") + ".\n",
         "| instance | processes | machines | res. | hosts before | Apiary hosts after | lower bound | moves | waves | Apiary time | checks | FFD from scratch (moves) |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        a = r.get("apiary")
        ff = r["ffd"]
        ffc = f"{ff['hosts']}" + (f" +{ff['unplaced']}u" if ff["unplaced"] else "") + f" ({ff['moves']})"
        if a is None:
            cells = ["–", str(r["lb"]), "–", "–", "–", "not run"]
        elif "error" in a:
            cells = ["error", str(r["lb"]), "–", "–", f"{a['time']:.2f} s", a["error"][:80].replace("|", "/")]
        else:
            cells = [f"{a['hosts']}" + (f" +{a['unplaced']}u" if a["unplaced"] else ""), str(r["lb"]), str(a["moves"]),
                     str(a["waves"]), f"{a['time']:.2f} s",
                     "ok" if a["ok"] else "✗ " + "; ".join(a["errors"])[:120].replace("|", "/")]
        L.append(f"| {r['id']} | {r['processes']} | {r['machines']} | {r['resources']} | {r['hosts_before']} | "
                 + " | ".join(cells) + f" | {ffc} |")
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--apiary", default=None)
    ap.add_argument("--no-apiary", action="store_true")
    ap.add_argument("--apiary-time-limit", type=float, default=None)
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--only", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--update-readme", action="store_true")
    ap.add_argument("--no-fleets", action="store_true", help="skip the generated fleets with a current placement")
    args = ap.parse_args()
    if args.no_apiary:
        args.apiary = None
    elif args.apiary is None and os.path.exists(DEFAULT_APIARY):
        args.apiary = DEFAULT_APIARY
    run(args)


if __name__ == "__main__":
    main()
