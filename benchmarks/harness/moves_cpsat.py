#!/usr/bin/env python3
"""Is there a plan on K hosts that moves at most CAP running instances? (CP-SAT, OR-Tools)

Used for the issue-4 target (moves <= 60 % of the from-scratch moves) on the one fleet where the
counting bound of `fleet.py` allows it at the host count the plan needs: any K-host plan with
CAP = (running instances) - (the most instances K hosts run now) moves keeps K hosts that run
the most instances now, all of them at home. The model therefore only offers the hosts that
could be among those K (the hosts above the K-th count, and those tied with it), places every
instance on them under capacity, selectors, spread = host, zone/label spread (max skew 1 over
the domains with an eligible host), the Habitat rule; exclusive tenants are not modelled (the
fleets checked have none). With CAP above that bound the host restriction is not exact, so a
FEASIBLE answer then only bounds the fewest moves from above.

    python3 benchmarks/harness/fleet.py --sizes 1000 --utils 0.3 --uniform-hosts --out DIR
    python3 benchmarks/harness/moves_cpsat.py DIR/fleet-1000-u30-s1-uniform-moves.json 30 552 300
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import model  # noqa: E402


def main() -> None:
    from ortools.sat.python import cp_model

    path, k, cap, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    p = model.from_inventory(json.load(open(path)), os.path.basename(path))
    cur, svc = p.current, p.svc_of_instance()
    cnt = np.bincount(cur[cur >= 0], minlength=p.H)
    top = np.sort(cnt)[::-1]
    cut = top[k - 1]
    sure = [h for h in range(p.H) if cnt[h] > cut]
    ties = [h for h in range(p.H) if cnt[h] == cut]
    cand = sure + ties
    print(f"hosts above the {k}th count {len(sure)}, tied {len(ties)} (choose {k - len(sure)}); "
          f"moves bound {int((cur >= 0).sum() - top[:k].sum())}")
    assert not p.exclusive.any(), "exclusive tenants are not modelled"
    m = cp_model.CpModel()
    y = {h: (m.NewConstant(1) if h in sure else m.NewBoolVar(f"y{h}")) for h in cand}
    m.Add(sum(y[h] for h in ties) == k - len(sure))

    def sel_ok(s, h):
        return all(p.labels[h].get(a) == v for a, v in p.selector[s].items())

    x = {}
    for i in range(p.N):
        s = svc[i]
        hs = [h for h in cand if sel_ok(s, h) and p.states[h] == "active"
              and all(p.req[s][d] <= p.usable[h][d] for d in range(p.D))]
        for h in hs:
            x[i, h] = m.NewBoolVar(f"x{i}_{h}")
            m.AddImplication(x[i, h], y[h])
        m.AddExactlyOne([x[i, h] for h in hs])
    for h in cand:
        on = [i for i in range(p.N) if (i, h) in x]
        for d in range(p.D):
            m.Add(sum(int(p.req[svc[i]][d]) * x[i, h] for i in on) <= int(p.usable[h][d]))
        by_s, by_pkg = {}, {}
        for i in on:
            by_s.setdefault(svc[i], []).append(x[i, h])
            by_pkg.setdefault(p.svc_pkgname[svc[i]], []).append(x[i, h])
        for s, v in by_s.items():
            if p.spread[s] == "host" and len(v) > 1:
                m.AddAtMostOne(v)
        if p.supervisor == "habitat":
            for v in by_pkg.values():
                if len(v) > 1:
                    m.AddAtMostOne(v)
    for s in range(p.S):
        if p.spread[s] in ("host", "none"):
            continue
        dom = p.domain_of(p.spread[s])
        doms = sorted({dom[h] for h in range(p.H) if dom[h] is not None and p.states[h] == "active" and sel_ok(s, h)})
        ids = range(p.offset[s], p.offset[s + 1])
        c = {dv: sum(x[i, h] for i in ids for h in cand if (i, h) in x and dom[h] == dv) for dv in doms}
        for a in doms:
            for b in doms:
                if a != b:
                    m.Add(c[a] - c[b] <= 1)
    moves = [1 - x[i, cur[i]] if (i, cur[i]) in x else 1 for i in range(p.N) if cur[i] >= 0]
    m.Add(sum(moves) <= cap)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 1
    status = solver.Solve(m)
    print(f"{k} hosts, at most {cap} moves: {solver.StatusName(status)} in {solver.WallTime():.1f} s")


if __name__ == "__main__":
    main()
