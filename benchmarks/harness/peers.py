"""Peer packers, run on the same `Problem` as Apiary. Each returns instance -> host index (-1 unplaced).

Constraints. Every peer places through `Cluster.feasible()`, which enforces everything Apiary
gets: capacity (usable = floor(capacity x headroom)), host state (draining / cordoned hosts
take nothing new), selector, spread host, spread zone/label with max skew 1 (checked at each
placement against the least-loaded eligible domain, like Kubernetes' PodTopologySpread with
whenUnsatisfiable=DoNotSchedule), exclusivity, and the Habitat package-name rule. How each
peer would express them natively:

| constraint            | Kubernetes                                   | Nomad                                   |
|-----------------------|----------------------------------------------|-----------------------------------------|
| capacity              | NodeResourcesFit filter                      | BinPackIterator / AllocsFit             |
| selector              | nodeSelector                                 | constraint { attribute = meta.arch }    |
| spread = host         | required podAntiAffinity on hostname         | distinct_hosts = true                   |
| spread = zone (skew 1)| topologySpreadConstraints maxSkew 1 DoNotSchedule | only a soft `spread` block: enforced here as a filter (stronger than Nomad) |
| exclusive             | required anti-affinity both ways             | not expressible (node pools): enforced here as a filter |
| Habitat package name  | anti-affinity on a package-name label        | not expressible across jobs: enforced here as a filter |

The peers therefore never get an easier problem than Apiary; where the filter is stronger than
the peer's native behaviour (Nomad's soft spread) the peer can only do better on hosts than it
would in production, not worse on validity.

Peers
-----
ffd      first-fit decreasing by dominant share (share of the largest host capacity per
         dimension); hosts tried in order of decreasing capacity (normalized sum), then index.
nomad    Nomad's generic (service) scheduler, binpack algorithm: one evaluation per service
         (job, one task group of `count`), nodes shuffled per evaluation (seeded), a StaticIterator
         that keeps its offset between the placements of the evaluation, feasibility checks, the
         BinPackIterator score ScoreFitBinPack = 20 - (10^freeCpu + 10^freeMem) clamped to
         [0, 18] and normalized by 18 (cpu and memory only, as in Nomad), the job anti-affinity
         penalty -(collisions+1)/count for instances of the same task group already on the node,
         score normalization (mean of the scores appended), the LimitIterator with limit
         max(2, ceil(log2(#nodes))) and up to maxSkip=3 options with score <= 0 skipped, and the
         MaxScoreIterator (first maximum wins). Sources: nomad/structs/funcs.go ScoreFitBinPack,
         scheduler/feasible/stack.go (limit, skipScoreThreshold 0, maxSkip 3), select.go
         (LimitIterator, MaxScoreIterator), rank.go (JobAntiAffinityIterator).
k8s      kube-scheduler with NodeResourcesFit scoring strategy MostAllocated (every dimension of
         the inventory as a scored resource, weight 1; other score plugins off): score of a node =
         sum_r (requested_r + pod_r) * 100 // allocatable_r * w_r // sum w (integer maths as in
         most_allocated.go); filters on nodes in zone-interleaved order (the node tree) starting
         at nextStartNodeIndex, stopping after numFeasibleNodesToFind feasible nodes (all when
         < 100 nodes, else max(100, n * max(5, 50 - n/125) / 100)), nextStartNodeIndex advanced
         by the nodes processed; highest score wins, ties broken by a seeded random number (the
         heap Randomizer). Pods in arrival order (inventory order), one at a time.
cpsat    OR-Tools CP-SAT: x[i][h] booleans, y[h] host-used booleans, capacity rows
         sum_i req x <= cap y, spread/habitat/exclusive/selector/zone-skew constraints,
         symmetry breaking y[h] >= y[h+1] within each class of identical hosts (same capacity,
         zone, labels, state), hosts restricted per class to min(class size, FFD hosts) (exact,
         by symmetry), FFD solution as hint; objective min sum y. 2 workers, 60 s by default.
"""
from __future__ import annotations

import math
import os
import time

import numpy as np

try:
    from .model import Problem
except ImportError:
    from model import Problem


class Cluster:
    """Incremental placement state with a vectorized feasibility mask."""

    def __init__(self, p: Problem):
        self.p = p
        H = p.H
        self.used = np.zeros((H, p.D), dtype=np.int64)
        self.free = [p.usable[:, d].astype(np.int64).copy() for d in range(p.D)]  # column-wise, for fast masks
        self.n_on = np.zeros(H, dtype=np.int64)
        self.excl_owner = np.full(H, -1, dtype=np.int64)
        self.active = np.array([st == "active" for st in p.states], dtype=bool)
        self.svc_hosts: dict[int, list[int]] = {}
        self.pkg_hosts: dict[str, list[int]] = {}
        self.dom_counts: dict[int, dict] = {}
        self._sel_cache: dict[tuple, np.ndarray] = {}
        self._dom_cache: dict[str, tuple[np.ndarray, list]] = {}
        self.habitat = p.supervisor == "habitat"
        self._scratch = np.zeros(H, dtype=bool)

    def sel_mask(self, s: int) -> np.ndarray:
        key = tuple(sorted(self.p.selector[s].items()))
        m = self._sel_cache.get(key)
        if m is None:
            m = self.p.selector_mask(s) & self.active
            self._sel_cache[key] = m
        return m

    def domains(self, spread: str):
        v = self._dom_cache.get(spread)
        if v is None:
            dom = self.p.domain_of(spread)
            names = sorted({d for d in dom if d is not None})
            idx = {d: i for i, d in enumerate(names)}
            arr = np.array([idx[d] if d is not None else -1 for d in dom], dtype=np.int64)
            v = (arr, names)
            self._dom_cache[spread] = v
        return v

    def _blocked_on(self, hs: list, idx: np.ndarray) -> np.ndarray:
        self._scratch[hs] = True
        b = self._scratch[idx]
        self._scratch[hs] = False
        return b

    def eligible_domains(self, s: int, sp: str) -> np.ndarray:
        key = (sp, tuple(sorted(self.p.selector[s].items())))
        v = self._dom_cache.get(key)
        if v is None:
            arr, _ = self.domains(sp)
            v = np.unique(arr[self.sel_mask(s) & (arr >= 0)])
            self._dom_cache[key] = v
        return v

    def feasible(self, s: int, idx: np.ndarray | None = None) -> np.ndarray:
        """Feasibility of one more instance of service s on every host (idx None) or on hosts idx."""
        p = self.p
        full = idx is None
        m = self.sel_mask(s).copy() if full else self.sel_mask(s)[idx]
        r = p.req[s]
        for d in range(p.D):
            if r[d] > 0:
                m &= (self.free[d] if full else self.free[d][idx]) >= r[d]
        n_on = self.n_on if full else self.n_on[idx]
        owner = self.excl_owner if full else self.excl_owner[idx]
        if p.exclusive[s]:
            m &= (n_on == 0) | (owner == s)
        else:
            m &= owner < 0
        sp = p.spread[s]
        if sp == "host":
            hs = self.svc_hosts.get(s)
            if hs:
                if full:
                    m[hs] = False
                else:
                    m &= ~self._blocked_on(hs, idx)
        elif sp != "none":
            arr, names = self.domains(sp)
            elig = self.eligible_domains(s, sp)
            cnt = self.dom_counts.get(s)
            if cnt is None:
                cnt = np.zeros(len(names), dtype=np.int64)
                self.dom_counts[s] = cnt
            if len(elig):
                lo = cnt[elig].min()
                ok = np.zeros(len(names) + 1, dtype=bool)
                ok[elig[cnt[elig] == lo]] = True
                m &= ok[arr] if full else ok[arr[idx]]  # arr == -1 maps to the extra False slot
            else:
                m[:] = False
        if self.habitat:
            hs = self.pkg_hosts.get(p.svc_pkgname[s])
            if hs:
                if full:
                    m[hs] = False
                else:
                    m &= ~self._blocked_on(hs, idx)
        return m

    def first_feasible_in_ring(self, s: int, order: np.ndarray, start: int, want: int, chunk: int = 64):
        """Walk `order` from position `start` (wrapping) and return (positions relative to start of
        the first `want` feasible hosts, all_visited)."""
        n = len(order)
        found = []
        got = 0
        pos = 0
        while pos < n and got < want:
            k = min(chunk, n - pos)
            rel = np.arange(pos, pos + k)
            idx = order[(start + rel) % n]
            f = rel[self.feasible(s, idx)]
            if len(f):
                found.append(f)
                got += len(f)
            pos += k
            chunk = min(chunk * 2, 8192)
        rel = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        return rel[:want] if got >= want else rel, pos >= n and got < want

    def place(self, s: int, h: int):
        p = self.p
        self.used[h] += p.req[s]
        for d in range(p.D):
            self.free[d][h] -= p.req[s, d]
        self.n_on[h] += 1
        if p.exclusive[s]:
            self.excl_owner[h] = s
        self.svc_hosts.setdefault(s, []).append(h)
        if self.habitat:
            self.pkg_hosts.setdefault(p.svc_pkgname[s], []).append(h)
        sp = p.spread[s]
        if sp not in ("host", "none"):
            arr, names = self.domains(sp)
            if s not in self.dom_counts:
                self.dom_counts[s] = np.zeros(len(names), dtype=np.int64)
            self.dom_counts[s][arr[h]] += 1


def _ref_capacity(p: Problem) -> np.ndarray:
    ref = p.usable.max(axis=0).astype(np.float64)
    ref[ref == 0] = 1
    return ref


# --------------------------------------------------------------------------- first-fit decreasing

def ffd(p: Problem, seed: int = 1) -> np.ndarray:
    ref = _ref_capacity(p)
    share = (p.req / ref).max(axis=1)                # per service
    svc = p.svc_of_instance()
    order = np.lexsort((np.arange(p.N), svc, -share[svc]))
    host_order = np.lexsort((np.arange(p.H), -(p.usable / ref).sum(axis=1)))
    c = Cluster(p)
    out = np.full(p.N, -1, dtype=np.int64)
    rank = np.empty(p.H, dtype=np.int64)
    rank[host_order] = np.arange(p.H)
    for i in order:
        s = svc[i]
        cand = np.flatnonzero(c.feasible(s))
        if len(cand):
            h = int(cand[np.argmin(rank[cand])])
            c.place(s, h)
            out[i] = h
    return out


# --------------------------------------------------------------------------- Nomad binpack

def _nomad_scores(p: Problem, c: Cluster, s: int, hosts: np.ndarray, ci: int, mi: int) -> np.ndarray:
    cap = p.usable[hosts]
    util = c.used[hosts] + p.req[s]
    free_cpu = 1 - util[:, ci] / np.maximum(cap[:, ci], 1) if ci >= 0 else np.zeros(len(hosts))
    free_mem = 1 - util[:, mi] / np.maximum(cap[:, mi], 1) if mi >= 0 else np.zeros(len(hosts))
    total = np.power(10.0, free_cpu) + np.power(10.0, free_mem)
    return np.clip(20.0 - total, 0.0, 18.0) / 18.0


def nomad(p: Problem, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ci = p.dims.index("cpu") if "cpu" in p.dims else (0 if p.D > 0 else -1)
    mi = p.dims.index("memory") if "memory" in p.dims else (1 if p.D > 1 else -1)
    c = Cluster(p)
    out = np.full(p.N, -1, dtype=np.int64)
    n = p.H
    limit = max(2, int(math.ceil(math.log2(n)))) if n > 0 else 2
    max_skip, threshold = 3, 0.0
    for s in range(p.S):                      # one evaluation per job (service), arrival order
        nodes = rng.permutation(n)            # ShuffleNodes per evaluation
        offset = 0                            # StaticIterator offset, kept across Select calls
        count = int(p.count[s])
        collisions: dict[int, int] = {}
        for k in range(count):
            pos, complete = c.first_feasible_in_ring(s, nodes, offset, limit + max_skip + 1)
            cand = nodes[(pos + offset) % n]
            if len(cand) == 0:
                continue
            take = cand[: limit + max_skip + 1]
            scores = _nomad_scores(p, c, s, take, ci, mi)
            coll = np.array([collisions.get(int(h), 0) for h in take], dtype=np.int64)
            final = np.where(coll > 0, (scores + (-(coll + 1) / count)) / 2.0, scores)
            # LimitIterator + MaxScoreIterator emulation
            src = list(range(len(take)))
            src_total = len(cand)              # feasible options the source can still yield
            consumed = 0                       # options pulled from the source
            skipped: list[int] = []
            skipped_idx = 0
            seen = 0
            best, best_score = None, -math.inf

            exhausted = False

            def source_next():
                nonlocal consumed, exhausted
                if consumed < min(len(src), src_total):
                    consumed += 1
                    return src[consumed - 1]
                exhausted = True
                return None

            def next_option():
                nonlocal skipped_idx
                o = source_next()
                if o is None and skipped_idx < len(skipped):
                    o = skipped[skipped_idx]
                    skipped_idx += 1
                return o

            while True:
                if seen == limit:
                    break
                o = next_option()
                if o is None:
                    break
                if len(skipped) < max_skip:
                    while o is not None and final[o] <= threshold and len(skipped) < max_skip:
                        skipped.append(o)
                        o = source_next()
                seen += 1
                if o is None:
                    o = next_option()
                    if o is None:
                        break
                if final[o] > best_score:
                    best, best_score = o, final[o]
            if best is None:
                continue
            h = int(take[best])
            # nodes visited by the static iterator: up to the last option pulled from the source
            if consumed > 0 and not exhausted:
                last = pos[consumed - 1]
                offset = (offset + int(last) + 1) % n
            c.place(s, h)
            collisions[h] = collisions.get(h, 0) + 1
            out[p.offset[s] + k] = h
    return out


# --------------------------------------------------------------------------- Kubernetes MostAllocated

def k8s_num_feasible_nodes_to_find(num_all: int, percentage: int = 0) -> int:
    if num_all < 100:
        return num_all
    if percentage == 0:
        percentage = 50 - num_all // 125
        if percentage < 5:
            percentage = 5
    num = num_all * percentage // 100
    return max(num, 100)


def _zone_interleaved(p: Problem) -> np.ndarray:
    by: dict = {}
    for h in range(p.H):
        by.setdefault(p.zones[h] or "", []).append(h)
    zones = sorted(by)
    order = []
    i = 0
    while len(order) < p.H:
        for z in zones:
            if i < len(by[z]):
                order.append(by[z][i])
        i += 1
    return np.array(order, dtype=np.int64)


def k8s(p: Problem, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    nodes = _zone_interleaved(p)
    n = p.H
    to_find = k8s_num_feasible_nodes_to_find(n)
    alloc = p.usable[nodes]
    svc = p.svc_of_instance()
    c = Cluster(p)
    out = np.full(p.N, -1, dtype=np.int64)
    start = 0
    for i in range(p.N):
        s = svc[i]
        # k8s cancels the parallel filter once it finds one feasible node more than it needs; the nodes
        # processed are those checked before that one (or all of them)
        pos, _ = c.first_feasible_in_ring(s, nodes, start, to_find + 1, chunk=max(64, min(to_find * 2, 4096)))
        if len(pos) == 0:
            continue
        if len(pos) > to_find:
            processed = int(pos[to_find])
            pos = pos[:to_find]
        else:
            processed = n
        idx = (pos + start) % n
        cand = nodes[idx]
        requested = c.used[cand] + p.req[s]
        a = alloc[idx]
        req_c = np.minimum(requested, a)
        per = np.where(a > 0, (req_c * 100) // np.maximum(a, 1), 0)
        score = per.sum(axis=1) // p.D
        rnd = rng.integers(0, 2**62, size=len(cand))
        best = int(np.lexsort((-rnd, -score))[0])
        h = int(cand[best])
        c.place(s, h)
        out[i] = h
        start = (start + processed) % n
    return out


# --------------------------------------------------------------------------- OR-Tools CP-SAT

def cpsat(p: Problem, seed: int = 1, time_limit: float = 60.0, workers: int = 2,
          hint: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    from ortools.sat.python import cp_model

    if hint is None:
        hint = ffd(p, seed)
    ub_hosts = len(set(hint[hint >= 0].tolist())) if (hint >= 0).any() else p.H
    # classes of identical hosts; keep the lowest-index min(size, ub) hosts of each class
    key = lambda h: (tuple(p.usable[h].tolist()), p.zones[h], tuple(sorted(p.labels[h].items())), p.states[h])
    classes: dict = {}
    for h in range(p.H):
        if p.states[h] == "draining":
            continue
        classes.setdefault(key(h), []).append(h)
    keep = []
    class_lists = []
    for k, hs in classes.items():
        hs = hs[: min(len(hs), ub_hosts)]
        keep.extend(hs)
        class_lists.append(hs)
    keep = sorted(keep)
    hint_hosts = set(hint[hint >= 0].tolist())
    if not hint_hosts.issubset(keep):
        # FFD used hosts outside the kept prefix (possible with cordoned/current placements); keep all
        keep = sorted(set(keep) | hint_hosts)
    m = cp_model.CpModel()
    svc = p.svc_of_instance()
    y = {h: m.NewBoolVar(f"y{h}") for h in keep}
    x: dict[tuple[int, int], object] = {}
    selm = [p.selector_mask(s) for s in range(p.S)]
    for i in range(p.N):
        s = svc[i]
        vars_i = []
        for h in keep:
            if not selm[s][h] or p.states[h] != "active" or np.any(p.req[s] > p.usable[h]):
                continue
            v = m.NewBoolVar(f"x{i}_{h}")
            x[i, h] = v
            vars_i.append(v)
        m.AddExactlyOne(vars_i)
    by_host: dict[int, list] = {h: [] for h in keep}
    for (i, h), v in x.items():
        by_host[h].append((i, v))
    LE = cp_model.LinearExpr
    zero_req = ~(p.req > 0).any(axis=1)
    for h in keep:
        items = by_host[h]
        for d in range(p.D):
            vs = [v for i, v in items if p.req[svc[i], d] > 0]
            cs = [int(p.req[svc[i], d]) for i, v in items if p.req[svc[i], d] > 0]
            if vs:
                m.Add(LE.WeightedSum(vs + [y[h]], cs + [-int(p.usable[h, d])]) <= 0)
        for i, v in items:
            if zero_req[svc[i]]:
                m.AddImplication(v, y[h])
    # spread host / habitat package name
    groups: dict = {}
    for s in range(p.S):
        if p.supervisor == "habitat":
            groups.setdefault(("pkg", p.svc_pkgname[s]), []).append(s)
        elif p.spread[s] == "host":
            groups.setdefault(("svc", s), []).append(s)
    for g, ss in groups.items():
        if sum(int(p.count[s]) for s in ss) <= 1:
            continue
        for h in keep:
            vs = [x[i, h] for s in ss for i in range(p.offset[s], p.offset[s + 1]) if (i, h) in x]
            if len(vs) > 1:
                m.Add(sum(vs) <= 1)
    # exclusive
    for s in np.flatnonzero(p.exclusive):
        for h in keep:
            own = [x[i, h] for i in range(p.offset[s], p.offset[s + 1]) if (i, h) in x]
            if not own:
                continue
            z = m.NewBoolVar(f"z{s}_{h}")
            for v in own:
                m.AddImplication(v, z)
            for i, v in by_host[h]:
                if svc[i] != s:
                    m.AddImplication(z, v.Not())
    # zone / label spread, max skew 1 over eligible domains
    for s in range(p.S):
        sp = p.spread[s]
        if sp in ("host", "none") or p.count[s] <= 1:
            continue
        dom = p.domain_of(sp)
        elig = sorted({dom[h] for h in range(p.H) if selm[s][h] and dom[h] is not None and p.states[h] == "active"})
        if not elig:
            continue
        lo = m.NewIntVar(0, int(p.count[s]), f"lo{s}")
        for dname in elig:
            vs = [x[i, h] for i in range(p.offset[s], p.offset[s + 1]) for h in keep
                  if dom[h] == dname and (i, h) in x]
            cnt = sum(vs) if vs else 0
            m.Add(cnt >= lo)
            m.Add(cnt <= lo + 1)
        for i in range(p.offset[s], p.offset[s + 1]):
            for h in keep:
                if (i, h) in x and dom[h] is None:
                    m.Add(x[i, h] == 0)
    # symmetry breaking inside classes
    for hs in class_lists:
        for a, b in zip(hs, hs[1:]):
            if a in y and b in y:
                m.Add(y[a] >= y[b])
    m.Minimize(sum(y.values()))
    for (i, h), v in x.items():
        m.AddHint(v, 1 if hint[i] == h else 0)
    for h in keep:
        m.AddHint(y[h], 1 if h in hint_hosts else 0)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.cp_model_probing_level = 0  # default probing spends the whole budget in presolve on these models
    solver.parameters.random_seed = seed
    solver.parameters.log_search_progress = bool(os.environ.get("CPSAT_LOG"))
    st = solver.Solve(m)
    out = np.full(p.N, -1, dtype=np.int64)
    info = {"status": solver.StatusName(st), "bound": None, "vars": len(x)}
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for (i, h), v in x.items():
            if solver.Value(v):
                out[i] = h
        info["bound"] = int(math.ceil(solver.BestObjectiveBound() - 1e-6))
    return out, info


PEERS = {"ffd": ffd, "nomad": nomad, "k8s": k8s}


def run_peer(name: str, p: Problem, seed: int = 1, **kw):
    t = time.perf_counter()
    info = {}
    if name == "cpsat":
        out, info = cpsat(p, seed, **kw)
    else:
        out = PEERS[name](p, seed)
    return out, time.perf_counter() - t, info
