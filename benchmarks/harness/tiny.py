#!/usr/bin/env python3
"""Tiny inventories against their exact optimum: plan quality and correctness on small cases.

Each seed gives a tiny inventory (2-6 hosts, 1-4 services, 0-8 instances in all) that mixes
every rule of FORMATS.md: cpu + memory (sometimes gpu), headroom (none, a scalar or a
per-dimension table), zones (some hosts without one), labels and selectors, spread host / zone /
label / none, exclusive tenants, both supervisors (habitat: one instance per package *name* per
host), hosts active / cordoned / draining, sometimes a current placement (which may break rules)
and `max_moves`.

The exact optimum is found by exhaustive search over assignments (each instance on a host or
unplaced) with the planner's lexicographic objective: most instances placed, then fewest hosts,
then (with a current placement) fewest moves. The rules are implemented here from FORMATS.md,
with the verifier's definitions (`Sources/ApiaryCore/Verifier/Verifier.swift`) where FORMATS.md
leaves room:

- usable capacity = floor(capacity x headroom) per dimension (`model.from_inventory`);
- draining hosts take nothing; a cordoned host takes no instance that does not run there now,
  and keeps what it runs as far as it may run there together: an instance running there that
  the plan moves away (or leaves unplaced) must not fit beside what the plan keeps there
  (selector, spread key present, capacity, exclusivity, spread = host, Habitat rule, max skew 1
  of its zone/label spread);
- zone/label spread: max skew 1 over the domains with an eligible host (active and matching the
  selector, or cordoned where an instance of the service runs now and stays);
- `max_moves`: the moves of instances the current placement does not force (`forcedMoves`) are
  at most max_moves (the optimum's search prunes on moves <= max_moves + forced, a relaxation);
- moves count running instances placed on another host (a stop is not a move); instance
  numbers within a service are free, so the optimum renumbers (as the planner may).

The search runs over multisets (instances of a service are interchangeable; moves and the
cordoned rules depend only on per-host counts) with branch-and-bound on (placed, hosts, moves).

Each case is then planned (`apiary plan --format json`), the plan checked by `apiary verify
--format json` and by this file's own port of the rules, and compared with the optimum. The
summary counts plan errors, invalid plans, verify disagreements (apiary verify and the rules
here differ on the placement rules), bound violations (`summary.lower_bound` above the
optimum's hosts when the optimum places everything), and cases worse than the optimum on
placed / hosts / moves. Every failing case is written as TOML (with a comment header saying
what failed) to `--out`, so `apiary plan FILE` replays it.

    python3 benchmarks/harness/tiny.py [--seeds 1-2000] [--apiary .build/release/apiary]
                                       [--time-limit 0.5] [--out DIR] [--selftest N]
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from harness import model  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
NODE_LIMIT = 3_000_000  # search nodes per case; a case beyond it is counted as skipped

# --------------------------------------------------------------------------- generation


def gen(seed: int) -> dict:
    """A tiny inventory as a FORMATS.md dict (the structure TOML and JSON inventories share)."""
    R = random.Random(seed)
    inv: dict = {}
    policy: dict = {}
    policy["supervisor"] = R.choice(["habitat", "systemd"])
    hr = R.random()
    if hr < 0.35:
        policy["headroom"] = R.choice([0.5, 0.75, 0.8, 0.9, 1.0])
    elif hr < 0.6:
        t = {"cpu": R.choice([0.5, 0.75, 0.9, 1.0])}
        if R.random() < 0.7:
            t["memory"] = R.choice([0.5, 0.75, 0.9])
        policy["headroom"] = t
    gpu = R.random() < 0.25
    zones = R.choice([["a", "b"], ["a", "b", "c"], ["a"]])
    hosts = []
    for i in range(R.randint(2, 6)):
        cap: dict = {"cpu": R.choice([2, 4, 4, 8]), "memory": R.choice(["4GiB", "8GiB", "8GiB", "16GiB"])}
        if gpu and R.random() < 0.7:
            cap["gpu"] = R.choice([0, 1, 2])
        h: dict = {"name": f"h{i}"}
        if R.random() < 0.8:
            h["zone"] = R.choice(zones)
        h["capacity"] = cap
        labels = {}
        if R.random() < 0.85:
            labels["arch"] = R.choice(["x86", "arm"])
        if R.random() < 0.4:
            labels["disk"] = R.choice(["ssd", "hdd"])
        if labels:
            h["labels"] = labels
        st = R.random()
        if st < 0.15:
            h["state"] = "cordoned"
        elif st < 0.25:
            h["state"] = "draining"
        elif R.random() < 0.3:
            h["state"] = "active"
        hosts.append(h)
    if gpu and not any("gpu" in h["capacity"] for h in hosts):
        hosts[0]["capacity"]["gpu"] = R.choice([1, 2])
    names = R.sample(["web", "db", "cache", "queue"], R.randint(1, 3))
    packages = []
    for n in names:
        req: dict = {"cpu": R.choice([0.5, 1, 1, 2, 2, 3, 4]), "memory": R.choice(["1GiB", "2GiB", "2GiB", "4GiB", "6GiB"])}
        if req["cpu"] == 0.5 and R.random() < 0.5:
            req["cpu"] = "500m"
        if gpu and R.random() < 0.4:
            req["gpu"] = R.choice([1, 2])
        packages.append({"ident": f"core/{n}", "requests": req})
        if R.random() < 0.2:  # a more specific profile that wins for version 2
            packages.append({"ident": f"core/{n}/2", "requests": {"cpu": R.choice([1, 2]), "memory": "1GiB"}})
    services = []
    left = R.choice([0, 1, 2, 3, 4, 5, 5, 6, 6, 7, 7, 8, 8])
    for j in range(R.randint(1, 4)):
        n = R.choice(names)
        c = min(left, R.choice([0, 1, 1, 2, 2, 3, 3, 4]))
        left -= c
        svc: dict = {"name": f"{n}.g{j}", "package": f"core/{n}/{R.choice(['1', '2'])}", "count": c}
        sp = R.choice(["host", "host", "zone", "zone", "none", "arch", "disk", None])
        if sp is not None:
            svc["spread"] = sp
        r = R.random()
        if r < 0.25:
            svc["selector"] = {"arch": R.choice(["x86", "arm"])}
        elif r < 0.32:
            svc["selector"] = {"disk": "ssd"}
        if R.random() < 0.18:
            svc["exclusive"] = True
        if R.random() < 0.25:
            svc["requests"] = {"cpu": R.choice([1, 2, 3])}
        services.append(svc)
    placement = []
    if R.random() < 0.5:
        for svc in services:
            for _ in range(svc["count"]):
                if R.random() < 0.75:
                    h = R.choice(hosts)["name"]
                    if placement and placement[-1]["host"] == h and placement[-1]["service"] == svc["name"]:
                        placement[-1]["count"] = placement[-1].get("count", 1) + 1
                    else:
                        placement.append({"host": h, "service": svc["name"]})
        if placement and R.random() < 0.45:
            policy["max_moves"] = R.choice([0, 1, 1, 2, 3])
    inv["policy"] = policy
    inv["host"] = hosts
    inv["package"] = packages
    inv["service"] = services
    if placement:
        inv["placement"] = placement
    return inv


def _tv(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_tv(x)}" for k, x in v.items()) + " }"
    raise TypeError(v)


def to_toml(inv: dict, header: str = "") -> str:
    out = [f"# {line}" if line else "#" for line in header.splitlines()]
    if inv.get("policy"):
        out.append("[policy]")
        out += [f"{k} = {_tv(v)}" for k, v in inv["policy"].items()]
    for table in ("host", "package", "service", "placement"):
        for e in inv.get(table, []):
            out.append("")
            out.append(f"[[{table}]]")
            out += [f"{k} = {_tv(v)}" for k, v in e.items()]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- the rules


class Case:
    """A parsed tiny inventory with the facts the rules need (integer units, as Apiary)."""

    def __init__(self, inv: dict):
        p = model.from_inventory(inv)
        self.p = p
        self.H, self.S, self.D, self.N = p.H, p.S, p.D, p.N
        self.usable = [tuple(int(x) for x in row) for row in p.usable]
        self.req = [tuple(int(x) for x in row) for row in p.req]
        self.count = [int(c) for c in p.count]
        self.offset = [int(o) for o in p.offset]
        self.svc_of = [s for s in range(p.S) for _ in range(self.count[s])]
        self.state = list(p.states)
        self.excl = [bool(x) for x in p.exclusive]
        self.habitat = p.supervisor == "habitat"
        self.pkg = list(p.svc_pkgname)
        self.spread = list(p.spread)
        self.sel = [[bool(x) for x in p.selector_mask(s)] for s in range(p.S)]
        self.dom = [p.domain_of(sp) if sp not in ("host", "none") else None for sp in p.spread]
        self.cur = [int(x) if x >= 0 else None for x in p.current] if p.current is not None else None
        self.max_moves = inv.get("policy", {}).get("max_moves")
        # current count per service and host
        self.cur_count = [[0] * self.H for _ in range(self.S)]
        if self.cur is not None:
            for i, h in enumerate(self.cur):
                if h is not None:
                    self.cur_count[self.svc_of[i]][h] += 1
        self.forced_set = self.forced_moves() if self.cur is not None else set()
        self.forced = len(self.forced_set)

    # -- the verifier's helpers ------------------------------------------------------------

    def fits_alone(self, s: int, h: int, load) -> bool:
        return all(load[d] + self.req[s][d] <= self.usable[h][d] for d in range(self.D))

    def keeps_spread(self, s: int, h: int, on_all, leaving=None) -> bool:
        """Verifier.keepsSpread: a replica of s back on cordoned h, from host `leaving` where the
        plan puts it (None: unplaced), keeps its zone/label spread within max skew 1
        (on_all[x][s]: the plan's instances of s on each host)."""
        dom = self.dom[s]
        if dom is None:
            return True
        if dom[h] is None:
            return False
        elig = {dom[x] for x in range(self.H) if dom[x] is not None and self.state[x] == "active" and self.sel[s][x]}
        elig.add(dom[h])
        counts = Counter()
        for x in range(self.H):
            if on_all[x][s] and dom[x] is not None:
                counts[dom[x]] += on_all[x][s]
                if self.state[x] == "cordoned" and self.cur_count[s][x] > 0:
                    elig.add(dom[x])
        counts[dom[h]] += 1
        if leaving is not None and dom[leaving] is not None:
            counts[dom[leaving]] -= 1
        vals = [counts[d] for d in elig]
        return max(vals) - min(vals) <= 1

    def may_stay(self, s: int, h: int, load, on: dict, on_all=None, leaving=None) -> bool:
        """Verifier.mayStay (and keepsSpread when on_all is given): one more instance of s beside
        the plan's content of cordoned h."""
        if on_all is not None and not self.keeps_spread(s, h, on_all, leaving):
            return False
        if not self.sel[s][h]:
            return False
        if self.dom[s] is not None and self.dom[s][h] is None:
            return False
        if not self.fits_alone(s, h, load):
            return False
        others = [t for t in on if t != s and on[t] > 0]
        if others and (self.excl[s] or any(self.excl[t] for t in others)):
            return False
        if self.spread[s] == "host" and on.get(s, 0) > 0:
            return False
        if self.habitat and any(self.pkg[t] == self.pkg[s] and n > 0 for t, n in on.items()):
            return False
        return True

    def forced_moves(self) -> set:
        """Verifier.forcedMoves, ported: the running instances whose moves max_moves ignores."""
        running = [[] for _ in range(self.H)]
        for i, h in enumerate(self.cur):
            if h is not None:
                running[h].append(i)
        forced = set()
        for h in range(self.H):
            if not running[h]:
                continue
            broken = self.state[h] == "draining"
            load = [0] * self.D
            on: Counter = Counter()
            for i in running[h]:
                if broken:
                    break
                s = self.svc_of[i]
                if not self.sel[s][h]:
                    broken = True
                if self.dom[s] is not None and self.dom[s][h] is None:
                    broken = True
                for d in range(self.D):
                    load[d] += self.req[s][d]
                on[s] += 1
            if not broken:
                if any(load[d] > self.usable[h][d] for d in range(self.D)):
                    broken = True
                if len(on) > 1 and any(self.excl[s] for s in on):
                    broken = True
                if any(n > 1 and self.spread[s] == "host" for s, n in on.items()):
                    broken = True
                if self.habitat:
                    by = Counter()
                    for s, n in on.items():
                        by[self.pkg[s]] += n
                    if any(n > 1 for n in by.values()):
                        broken = True
            if broken:
                forced.update(running[h])
        for s in range(self.S):
            if self.dom[s] is None:
                continue
            dom = self.dom[s]
            elig = {dom[h] for h in range(self.H) if dom[h] is not None and self.state[h] == "active" and self.sel[s][h]}
            counts: Counter = Counter()
            ids = range(self.offset[s], self.offset[s + 1])
            for i in ids:
                h = self.cur[i]
                if h is None or dom[h] is None:
                    continue
                counts[dom[h]] += 1
                elig.add(dom[h])
            vals = [counts[d] for d in elig]
            if vals and max(vals) - min(vals) > 1:
                forced.update(i for i in ids if self.cur[i] is not None)
        return forced

    def eligible_domains(self, s: int, on_count) -> set:
        """Domains of s with an eligible host; on_count[h] = plan instances of s on h that run
        there now (the verifier's `runsHere` for cordoned hosts)."""
        dom = self.dom[s]
        out = set()
        for h in range(self.H):
            if dom[h] is None:
                continue
            if (self.state[h] == "active" and self.sel[s][h]) or (self.state[h] == "cordoned" and on_count[h] > 0):
                out.add(dom[h])
        return out

    # -- the rules on an assignment (instance -> host or -1), as Verifier.verify ---------------

    def violations(self, asg: list[int]) -> list[str]:
        out = []
        H, D = self.H, self.D
        load = [[0] * D for _ in range(H)]
        on = [Counter() for _ in range(H)]
        for i, h in enumerate(asg):
            if h >= 0:
                s = self.svc_of[i]
                for d in range(D):
                    load[h][d] += self.req[s][d]
                on[h][s] += 1
        for h in range(H):
            for d in range(D):
                if load[h][d] > self.usable[h][d]:
                    out.append(f"capacity: h{h} {self.p.dims[d]}")
        for i, h in enumerate(asg):
            s = self.svc_of[i]
            now = self.cur[i] if self.cur is not None else None
            if now is not None and self.state[now] == "cordoned" and h != now and self.may_stay(s, now, load[now], on[now], on, h if h >= 0 else None):
                out.append(f"cordonedEvicted: instance {i}")
            if h < 0:
                continue
            if self.state[h] == "draining":
                out.append(f"draining: instance {i}")
            if self.state[h] == "cordoned" and now != h:
                out.append(f"cordonedNew: instance {i}")
            if not self.sel[s][h]:
                out.append(f"selector: instance {i}")
        for h in range(H):
            here = [s for s in on[h] if on[h][s] > 0]
            if len(here) > 1 and any(self.excl[s] for s in here):
                out.append(f"exclusive: h{h}")
            for s in here:
                if on[h][s] > 1 and self.spread[s] == "host":
                    out.append(f"spreadHost: h{h}")
            if self.habitat:
                by = Counter()
                for s in here:
                    by[self.pkg[s]] += on[h][s]
                if any(n > 1 for n in by.values()):
                    out.append(f"packageName: h{h}")
        for s in range(self.S):
            if self.dom[s] is None:
                continue
            dom = self.dom[s]
            counts: Counter = Counter()
            for i in range(self.offset[s], self.offset[s + 1]):
                h = asg[i]
                if h < 0:
                    continue
                if dom[h] is None:
                    out.append(f"spreadDomainMissing: instance {i}")
                    continue
                counts[dom[h]] += 1
            runs = [0] * H
            if self.cur is not None:
                for i in range(self.offset[s], self.offset[s + 1]):
                    if asg[i] >= 0 and self.cur[i] == asg[i]:
                        runs[asg[i]] += 1
            elig = self.eligible_domains(s, runs)
            vals = [counts[d] for d in elig]
            if vals and max(vals) - min(vals) > 1:
                out.append(f"spreadSkew: service {s}")
        if self.cur is not None and self.max_moves is not None:
            chosen = sum(1 for i, (now, nxt) in enumerate(zip(self.cur, asg))
                         if now is not None and nxt >= 0 and now != nxt and i not in self.forced_set)
            if chosen > self.max_moves:
                out.append("moveBudget")
        return out

    def min_moves_of(self, asg: list[int]) -> int:
        """Moves of asg's per-host counts under the best instance numbering within each service
        (a running instance that leaves a host may be the one that stops, and a new instance
        the one that starts elsewhere)."""
        if self.cur is None:
            return 0
        total = 0
        for s in range(self.S):
            ids = range(self.offset[s], self.offset[s + 1])
            plan = Counter(asg[i] for i in ids if asg[i] >= 0)
            r = sum(self.cur_count[s])
            m = sum(min(n, self.cur_count[s][h]) for h, n in plan.items())
            total += max(0, (sum(plan.values()) - m) - (self.count[s] - r))
        return total

    def moves_of(self, asg: list[int]) -> int:
        if self.cur is None:
            return 0
        return sum(1 for now, nxt in zip(self.cur, asg) if now is not None and nxt >= 0 and now != nxt)

    # -- exact optimum -----------------------------------------------------------------------

    def optimum(self, node_limit: int = NODE_LIMIT):
        """(placed, hosts, moves, per-service host lists) of the lexicographic optimum, or None
        when no valid plan exists at all; raises TimeoutError beyond node_limit nodes."""
        H, D, S = self.H, self.D, self.S
        UNPL = H
        # hosts each service may use on its own: state, selector, spread key, capacity when empty
        static = []
        for s in range(S):
            ok = []
            for h in range(H):
                st = self.state[h]
                if st == "draining" or (st == "cordoned" and self.cur_count[s][h] == 0):
                    continue
                if not self.sel[s][h]:
                    continue
                if self.dom[s] is not None and self.dom[s][h] is None:
                    continue
                if not self.fits_alone(s, h, (0,) * D):
                    continue
                ok.append(h)
            static.append(ok)
        # services in search order: tenants first, then the largest; each one contiguous
        def size(s):
            return max((self.req[s][d] / max(1, max(u[d] for u in self.usable)) for d in range(D)), default=0)
        order = sorted((s for s in range(S) if self.count[s] > 0), key=lambda s: (not self.excl[s], -size(s), s))
        inst = [s for s in order for _ in range(self.count[s])]
        n = len(inst)
        last_of = {}
        for k, s in enumerate(inst):
            last_of[s] = k
        placeable_after = [0] * (n + 1)
        for k in range(n - 1, -1, -1):
            placeable_after[k] = placeable_after[k + 1] + (1 if static[inst[k]] else 0)

        load = [[0] * D for _ in range(H)]
        on = [[0] * S for _ in range(H)]  # plan count per host and service
        nsvc = [0] * H  # distinct services per host
        pkgon = [Counter() for _ in range(H)]
        excl_on = [0] * H  # tenants' distinct services on host
        used = [0] * H  # instances per host
        best = {"key": None, "sol": None}
        nodes = [0]
        choice = [UNPL] * n
        svc_moves = [0] * S

        def svc_moves_of(s):
            if self.cur is None:
                return 0
            r = sum(self.cur_count[s])
            p = sum(on[h][s] for h in range(H))
            m = sum(min(on[h][s], self.cur_count[s][h]) for h in range(H))
            return max(0, (p - m) - (self.count[s] - r))

        def skew_ok(s):
            if self.dom[s] is None:
                return True
            dom = self.dom[s]
            runs = [on[h][s] if self.state[h] == "cordoned" else 0 for h in range(H)]
            elig = self.eligible_domains(s, runs)
            if not elig:
                return True
            counts = Counter()
            for h in range(H):
                if on[h][s]:
                    counts[dom[h]] += on[h][s]
            vals = [counts[d] for d in elig]
            return max(vals) - min(vals) <= 1

        def final_ok():
            if self.cur is None:
                return True
            for h in range(H):
                if self.state[h] != "cordoned":
                    continue
                content = {t: on[h][t] for t in range(S) if on[h][t]}
                for s in range(S):
                    if self.cur_count[s][h] > on[h][s]:
                        # The one that left may be any instance of s placed away from home, or
                        # an unplaced one: it must leave whichever it is (instance numbers are free).
                        froms = [None] + [x for x in range(H) if on[x][s] > self.cur_count[s][x]]
                        if all(self.may_stay(s, h, load[h], content, on, x) for x in froms):
                            return False
            return True

        def dfs(k, placed, hosts, moves):
            nodes[0] += 1
            if nodes[0] > node_limit:
                raise TimeoutError
            b = best["key"]
            if b is not None:
                top = placed + placeable_after[k]
                if top < b[0]:
                    return
                if top == b[0] and (hosts > b[1] or (hosts == b[1] and moves >= b[2])):
                    return
            if k == n:
                if not final_ok():
                    return
                if self.max_moves is not None and self.cur is not None and moves > self.max_moves + self.forced:
                    return
                key = (placed, hosts, moves)
                if b is None or (key[0] > b[0] or (key[0] == b[0] and (key[1], key[2]) < (b[1], b[2]))):
                    best["key"] = key
                    best["sol"] = list(choice)
                return
            s = inst[k]
            lo = choice[k - 1] if k > 0 and inst[k - 1] == s else 0
            opts = [h for h in static[s] if h >= lo]
            # hosts in use first, then free ones, unplaced last
            opts.sort(key=lambda h: (used[h] == 0, h))
            opts.append(UNPL)
            for h in opts:
                if h == UNPL:
                    pass
                else:
                    st = self.state[h]
                    if st == "cordoned" and on[h][s] >= self.cur_count[s][h]:
                        continue
                    if any(load[h][d] + self.req[s][d] > self.usable[h][d] for d in range(D)):
                        continue
                    others = nsvc[h] - (1 if on[h][s] else 0)
                    if others and (self.excl[s] or excl_on[h] - (1 if (on[h][s] and self.excl[s]) else 0)):
                        continue
                    if self.spread[s] == "host" and on[h][s]:
                        continue
                    if self.habitat and pkgon[h][self.pkg[s]]:
                        continue
                choice[k] = h
                if h != UNPL:
                    for d in range(D):
                        load[h][d] += self.req[s][d]
                    if on[h][s] == 0:
                        nsvc[h] += 1
                        if self.excl[s]:
                            excl_on[h] += 1
                    on[h][s] += 1
                    pkgon[h][self.pkg[s]] += 1
                    used[h] += 1
                nh = hosts + (1 if h != UNPL and used[h] == 1 else 0)
                np_ = placed + (1 if h != UNPL else 0)
                ok = True
                nm = moves
                if last_of[s] == k:  # service complete: its spread and moves are final
                    ok = skew_ok(s)
                    svc_moves[s] = svc_moves_of(s)
                    nm = moves + svc_moves[s]
                if ok:
                    dfs(k + 1, np_, nh, nm)
                if h != UNPL:
                    for d in range(D):
                        load[h][d] -= self.req[s][d]
                    on[h][s] -= 1
                    if on[h][s] == 0:
                        nsvc[h] -= 1
                        if self.excl[s]:
                            excl_on[h] -= 1
                    pkgon[h][self.pkg[s]] -= 1
                    used[h] -= 1
            choice[k] = UNPL

        dfs(0, 0, 0, 0)
        if best["key"] is None:
            return None
        per = {}
        for k, s in enumerate(inst):
            if best["sol"][k] != UNPL:
                per.setdefault(s, []).append(best["sol"][k])
        return best["key"] + (per, nodes[0])

    def brute_optimum(self):
        """Plain enumeration over instance ids with `violations` (for --selftest)."""
        best = None
        for asg in itertools.product(range(-1, self.H), repeat=self.N):
            asg = list(asg)
            placed = sum(1 for h in asg if h >= 0)
            hosts = len({h for h in asg if h >= 0})
            moves = self.moves_of(asg)
            key = (-placed, hosts, moves)
            if best is not None and key >= best:
                continue
            if not self.violations(asg):
                best = key
        return None if best is None else (-best[0], best[1], best[2])


# --------------------------------------------------------------------------- running Apiary

PLACEMENT_KINDS = {"capacity", "draining", "cordonedNew", "cordonedEvicted", "selector", "exclusive", "spreadHost",
                   "spreadSkew", "spreadDomainMissing", "packageName", "moveBudget"}


def run_case(apiary: str, path: str, plan_path: str, time_limit: float):
    p = subprocess.run([apiary, "plan", path, "--format", "json", "--time-limit", str(time_limit), "-o", plan_path],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None, None, f"plan exit {p.returncode}: {p.stderr.strip()[:300]}"
    with open(plan_path) as f:
        doc = json.load(f)
    v = subprocess.run([apiary, "verify", path, "--plan", plan_path, "--format", "json"], capture_output=True, text=True)
    try:
        rep = json.loads(v.stdout)
    except json.JSONDecodeError:
        return doc, None, f"verify exit {v.returncode}: {v.stderr.strip()[:300]}"
    return doc, rep, None


def assignment_of(case: Case, doc: dict) -> list[int]:
    sidx = {n: i for i, n in enumerate(case.p.svc_names)}
    hidx = {n: i for i, n in enumerate(case.p.host_names)}
    asg = [-1] * case.N
    for a in doc["assignments"]:
        asg[case.offset[sidx[a["service"]]] + a["instance"]] = hidx[a["host"]]
    return asg


def check_seed(seed: int, apiary: str, time_limit: float, work: str):
    return check_inv(gen(seed), seed, apiary, time_limit, work)


def check_inv(inv: dict, seed, apiary: str, time_limit: float, work: str):
    case = Case(inv)
    res: dict = {"seed": seed, "inv": inv, "flags": [], "instances": case.N}
    try:
        opt = case.optimum()
    except TimeoutError:
        res["flags"].append("skipped")
        return res
    res["opt"] = None if opt is None else opt[:3]
    res["nodes"] = None if opt is None else opt[4]
    path = os.path.join(work, "case.toml")
    with open(path, "w") as f:
        f.write(to_toml(inv))
    doc, rep, err = run_case(apiary, path, os.path.join(work, "plan.json"), time_limit)
    if err:
        res["flags"].append("plan-error")
        res["error"] = err
        return res
    s = doc["summary"]
    asg = assignment_of(case, doc)
    mine = case.violations(asg)
    placed = sum(1 for h in asg if h >= 0)
    hosts = len({h for h in asg if h >= 0})
    moves = case.moves_of(asg)
    res["plan"] = (placed, hosts, moves)
    res["lower_bound"] = s["lower_bound"]
    theirs = [x for x in (rep or {}).get("violations", [])]
    res["verify"] = [f"{x['kind']}: {x['message']}" for x in theirs]
    res["mine"] = mine
    their_rules = sorted({x["kind"] for x in theirs if x["kind"] in PLACEMENT_KINDS})
    my_rules = sorted({m.split(":")[0] for m in mine})
    if opt is None:
        res["flags"].append("no-valid-plan")
    if theirs:
        res["flags"].append("invalid")
    if their_rules != my_rules:
        res["flags"].append("verify-disagrees")
    if (s["unplaced"], s["hosts_used"], s.get("moves", 0) if case.cur is not None else 0) != \
            (case.N - placed, hosts, moves if case.cur is not None else 0):
        res["flags"].append("summary-mismatch")
    if opt is not None and not mine:
        o = opt
        if o[0] == case.N and s["lower_bound"] > o[1]:
            res["flags"].append("bound")
        if placed < o[0]:
            res["flags"].append("worse-placed")
        elif placed == o[0] and hosts > o[1]:
            res["flags"].append("worse-hosts")
        elif placed == o[0] and hosts == o[1] and moves > o[2]:
            # worse-moves: more moves than the optimum under any numbering of the plan's
            # instances; moves-numbering: the plan's counts reach the optimum, its numbering
            # does not (a running instance moves where one would stop and a new one start)
            res["flags"].append("worse-moves" if case.min_moves_of(asg) > o[2] else "moves-numbering")
        if (placed, -hosts, -moves) > (o[0], -o[1], -o[2]):
            res["flags"].append("beats-optimum")  # a bug here or in the rules' port
    return res


def _variants(inv: dict):
    """Smaller inventories than inv, one simplification each (for --minimize)."""
    import copy

    def drop_placements(v, pred):
        v["placement"] = [e for e in v.get("placement", []) if not pred(e)]
        if not v["placement"]:
            del v["placement"]
            v.get("policy", {}).pop("max_moves", None)
    for i, h in enumerate(inv["host"]):
        if len(inv["host"]) > 1:
            v = copy.deepcopy(inv)
            del v["host"][i]
            drop_placements(v, lambda e: e["host"] == h["name"])
            yield v
    for i, svc in enumerate(inv["service"]):
        if len(inv["service"]) > 1:
            v = copy.deepcopy(inv)
            del v["service"][i]
            drop_placements(v, lambda e: e["service"] == svc["name"])
            yield v
        if svc["count"] > 0:
            v = copy.deepcopy(inv)
            v["service"][i]["count"] -= 1
            run = [e for e in v.get("placement", []) if e["service"] == svc["name"]]
            if sum(e.get("count", 1) for e in run) > v["service"][i]["count"]:
                last = run[-1]
                if last.get("count", 1) > 1:
                    last["count"] -= 1
                else:
                    v["placement"].remove(last)
                    drop_placements(v, lambda e: False)
            yield v
        for k in ("selector", "exclusive", "requests", "spread"):
            if k in svc:
                v = copy.deepcopy(inv)
                del v["service"][i][k]
                yield v
        if svc.get("spread") not in (None, "none", "host"):
            v = copy.deepcopy(inv)
            v["service"][i]["spread"] = "none"
            yield v
    for i, e in enumerate(inv.get("placement", [])):
        v = copy.deepcopy(inv)
        del v["placement"][i]
        drop_placements(v, lambda e: False)
        yield v
    for i, h in enumerate(inv["host"]):
        for k in ("zone", "labels", "state"):
            if k in h:
                v = copy.deepcopy(inv)
                del v["host"][i][k]
                yield v
        for k in list(h.get("labels", {})):
            v = copy.deepcopy(inv)
            del v["host"][i]["labels"][k]
            if not v["host"][i]["labels"]:
                del v["host"][i]["labels"]
            yield v
        for k in [k for k in h["capacity"] if k not in ("cpu", "memory")]:
            v = copy.deepcopy(inv)
            del v["host"][i]["capacity"][k]
            yield v
    for k in list(inv.get("policy", {})):
        if k != "supervisor" or inv["policy"][k] != "systemd":
            v = copy.deepcopy(inv)
            del v["policy"][k]
            yield v
    used = {svc["package"].split("/")[1] for svc in inv["service"]}
    for i, pk in enumerate(inv["package"]):
        if pk["ident"].split("/")[1] not in used or pk["ident"].count("/") > 1:
            v = copy.deepcopy(inv)
            del v["package"][i]
            yield v


def minimize(res: dict, apiary: str, time_limit: float, work: str, flag: str | None = None) -> dict:
    """Greedy delta debugging: drop hosts, services, instances, placements and keys while the
    case keeps failing with `flag` (default: its first flag)."""
    flag = flag or res["flags"][0]
    cur = res
    changed = True
    while changed:
        changed = False
        for v in _variants(cur["inv"]):
            try:
                r = check_inv(v, cur["seed"], apiary, time_limit, work)
            except Exception:  # an invalid variant (e.g. a request in a dimension no host has)
                continue
            if flag in r["flags"]:
                cur = r
                changed = True
                break
    return cur


def header(res: dict) -> str:
    lines = [f"tiny.py seed {res['seed']}: {' '.join(res['flags'])}"]
    if "opt" in res:
        o = res["opt"]
        lines.append("optimum: none (no valid plan)" if o is None else f"optimum: placed {o[0]}, hosts {o[1]}, moves {o[2]}")
    if "plan" in res:
        p = res["plan"]
        lines.append(f"plan:    placed {p[0]}, hosts {p[1]}, moves {p[2]}; lower_bound {res['lower_bound']}")
    for v in res.get("verify", []):
        lines.append(f"apiary verify: {v}")
    for v in res.get("mine", []):
        lines.append(f"tiny.py rules: {v}")
    if res.get("error"):
        lines.append(res["error"])
    return "\n".join(lines)


def parse_seeds(spec: str) -> list[int]:
    out = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += range(int(a), int(b) + 1)
        else:
            out.append(int(part))
    return out


def selftest(n: int) -> int:
    """The branch-and-bound optimum against plain enumeration over ids, and TOML round trips."""
    bad = 0
    tried = 0
    seed = 0
    while tried < n:
        seed += 1
        inv = gen(seed)
        assert tomllib.loads(to_toml(inv)) == inv, seed
        case = Case(inv)
        if (case.H + 1) ** case.N > 200_000:
            continue
        tried += 1
        a = case.optimum()
        a = None if a is None else a[:3]
        b = case.brute_optimum()
        if a != b:
            bad += 1
            print(f"selftest seed {seed}: branch-and-bound {a}, enumeration {b}")
    print(f"selftest: {tried} cases, {bad} differ")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1-200", help="seed ranges, e.g. 1-2000 or 1-10,42")
    ap.add_argument("--apiary", default=os.path.join(REPO, ".build/release/apiary"))
    ap.add_argument("--time-limit", type=float, default=0.5)
    ap.add_argument("--out", default=None, help="directory for failing cases (default: a new temp dir)")
    ap.add_argument("--selftest", type=int, default=0, help="check the optimum search on N small cases and exit")
    ap.add_argument("--verbose", action="store_true", help="print each failing case's header")
    ap.add_argument("--minimize", action="store_true",
                    help="shrink each failing case while it fails the same way; writes seed-N-min.toml too")
    args = ap.parse_args()
    if args.selftest:
        sys.exit(selftest(args.selftest))
    out = args.out or tempfile.mkdtemp(prefix="apiary-tiny-")
    os.makedirs(out, exist_ok=True)
    flags: Counter = Counter()
    failing = 0
    cases = 0
    with tempfile.TemporaryDirectory(prefix="apiary-tiny-work-") as work:
        for seed in parse_seeds(args.seeds):
            res = check_seed(seed, args.apiary, args.time_limit, work)
            cases += 1
            flags.update(res["flags"])
            if res["flags"]:
                failing += 1
                h = header(res)
                with open(os.path.join(out, f"seed-{seed}.toml"), "w") as f:
                    f.write(to_toml(res["inv"], h))
                if args.minimize:
                    small = minimize(res, args.apiary, args.time_limit, work)
                    with open(os.path.join(out, f"seed-{seed}-min.toml"), "w") as f:
                        f.write(to_toml(small["inv"], header(small)))
                if args.verbose:
                    print(h.replace("\n", "\n    "), flush=True)
    order = ["plan-error", "invalid", "verify-disagrees", "summary-mismatch", "no-valid-plan", "bound", "worse-placed",
             "worse-hosts", "worse-moves", "moves-numbering", "beats-optimum", "skipped"]
    print(f"tiny: {cases} cases ({args.seeds}), " + ", ".join(f"{k} {flags[k]}" for k in order)
          + f"; {failing} failing cases written to {out}")


if __name__ == "__main__":
    main()
