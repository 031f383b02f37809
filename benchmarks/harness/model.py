"""Inventory model shared by the generators, converters, peers and the verifier.

An inventory is built as a plain dict with the structure of FORMATS.md (the same
document Apiary reads as JSON), then parsed into a flat `Problem`:

* quantities in raw integer units, like Apiary's core: count dimensions (cpu, gpu, any
  dimension given without byte units) in milli-units, byte dimensions (memory, disk, or any
  dimension with a byte-unit string) in bytes;
* usable capacity = floor(capacity * headroom) per dimension;
* instances numbered globally: instance k of service s has id offset[s] + k.

`verify()` checks a placement independently of the peers' placement code (capacity,
host state, selector, spread host/zone/label with max skew 1, exclusivity, the Habitat
package-name rule) and `lower_bound()` gives a proven lower bound on the hosts needed.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

import numpy as np

_BYTE_UNITS = {
    "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4,
    "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4,
    "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
}
_QTY = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*$")
BYTE_DIMS = {"memory", "disk", "storage"}


def is_byte_string(v) -> bool:
    if not isinstance(v, str):
        return False
    m = _QTY.match(v)
    return bool(m and m.group(2) in _BYTE_UNITS)


def parse_qty(v, kind: str) -> int:
    """Raw integer units: milli-units for count dims, bytes for byte dims."""
    if isinstance(v, bool):
        raise ValueError(f"bad quantity {v!r}")
    if isinstance(v, (int, float)):
        return int(round(v * 1000)) if kind == "count" else int(round(v))
    m = _QTY.match(str(v))
    if not m:
        raise ValueError(f"bad quantity {v!r}")
    num, unit = m.group(1), m.group(2)
    if unit == "":
        x = float(num)
        return int(round(x * 1000)) if kind == "count" else int(round(x))
    if unit == "m":
        if kind != "count":
            raise ValueError(f"milli suffix on byte dimension: {v!r}")
        return int(round(float(num)))
    if unit in _BYTE_UNITS:
        return int(round(float(num) * _BYTE_UNITS[unit]))
    raise ValueError(f"bad unit in {v!r}")


def gib(x: float) -> int:
    return int(round(x * 1024**3))


@dataclass
class Problem:
    name: str
    dims: list[str]
    kinds: list[str]
    host_names: list[str]
    cap: np.ndarray          # H x D raw capacity
    usable: np.ndarray       # H x D floor(cap * headroom)
    zones: list[str | None]
    labels: list[dict]
    states: list[str]
    svc_names: list[str]
    svc_pkg: list[str]       # package ident as written
    svc_pkgname: list[str]   # origin/name -> name (Habitat rule key)
    count: np.ndarray        # S
    req: np.ndarray          # S x D raw requests
    spread: list[str]
    selector: list[dict]
    exclusive: np.ndarray    # S bool
    supervisor: str
    offset: np.ndarray       # S+1
    current: np.ndarray | None = None   # instance -> host index or -1
    meta: dict = field(default_factory=dict)

    @property
    def H(self) -> int:
        return len(self.host_names)

    @property
    def S(self) -> int:
        return len(self.svc_names)

    @property
    def N(self) -> int:
        return int(self.offset[-1])

    @property
    def D(self) -> int:
        return len(self.dims)

    def svc_of_instance(self) -> np.ndarray:
        return np.repeat(np.arange(self.S), self.count)

    def selector_mask(self, s: int) -> np.ndarray:
        sel = self.selector[s]
        if not sel:
            return np.ones(self.H, dtype=bool)
        return np.array([all(lab.get(k) == v for k, v in sel.items()) for lab in self.labels], dtype=bool)

    def domain_of(self, spread: str) -> list[str | None]:
        if spread == "zone":
            return list(self.zones)
        return [lab.get(spread) for lab in self.labels]


def from_inventory(inv: dict, name: str = "inventory") -> Problem:
    policy = inv.get("policy", {})
    hosts = inv.get("host", [])
    services = inv.get("service", [])
    packages = inv.get("package", [])
    # dimensions in order of first appearance
    dims: list[str] = []
    def see(d):
        for k in d:
            if k not in dims:
                dims.append(k)
    for h in hosts:
        see(h["capacity"])
    for p in packages:
        see(p.get("requests", {}))
    for s in services:
        see(s.get("requests", {}))
    kinds = []
    for d in dims:
        vals = [h["capacity"].get(d) for h in hosts] + [p.get("requests", {}).get(d) for p in packages] + \
               [s.get("requests", {}).get(d) for s in services]
        kinds.append("bytes" if d in BYTE_DIMS or any(is_byte_string(v) for v in vals if v is not None) else "count")
    D = len(dims)
    H = len(hosts)
    cap = np.zeros((H, D), dtype=np.int64)
    for i, h in enumerate(hosts):
        for j, d in enumerate(dims):
            if d in h["capacity"]:
                cap[i, j] = parse_qty(h["capacity"][d], kinds[j])
    hr = policy.get("headroom", 1.0)
    if isinstance(hr, dict):
        hrv = [float(hr.get(d, 1.0)) for d in dims]
    else:
        hrv = [float(hr)] * D
    usable = np.zeros_like(cap)
    for j in range(D):
        usable[:, j] = [int(math.floor(float(c) * hrv[j])) for c in cap[:, j]]
    # package profiles: most specific match wins
    prof: dict[tuple, list] = {}
    for p in packages:
        parts = p["ident"].split("/")
        prof.setdefault((parts[0], parts[1]), []).append(
            (parts, {k: parse_qty(v, kinds[dims.index(k)]) for k, v in p.get("requests", {}).items()}))
    S = len(services)
    req = np.zeros((S, D), dtype=np.int64)
    pkgname = []
    for si, s in enumerate(services):
        parts = s["package"].split("/")
        best = None
        for pp, r in prof.get((parts[0], parts[1]), []):
            if len(pp) <= len(parts) and all(pp[i] == parts[i] for i in range(2, len(pp))):
                if best is None or len(pp) > len(best[0]):
                    best = (pp, r)
        r = dict(best[1]) if best else {}
        for k, v in s.get("requests", {}).items():
            r[k] = parse_qty(v, kinds[dims.index(k)])
        for k, v in r.items():
            req[si, dims.index(k)] = v
        pkgname.append(parts[1])
    count = np.array([int(s.get("count", 1)) for s in services], dtype=np.int64)
    offset = np.zeros(S + 1, dtype=np.int64)
    offset[1:] = np.cumsum(count)
    prob = Problem(
        name=name, dims=dims, kinds=kinds,
        host_names=[h["name"] for h in hosts], cap=cap, usable=usable,
        zones=[h.get("zone") for h in hosts], labels=[dict(h.get("labels", {})) for h in hosts],
        states=[h.get("state", "active") for h in hosts],
        svc_names=[s["name"] for s in services], svc_pkg=[s["package"] for s in services], svc_pkgname=pkgname,
        count=count, req=req, spread=[s.get("spread", "host") for s in services],
        selector=[dict(s.get("selector", {})) for s in services],
        exclusive=np.array([bool(s.get("exclusive", False)) for s in services], dtype=bool),
        supervisor=policy.get("supervisor", "habitat"), offset=offset,
    )
    if inv.get("placement"):
        hidx = {n: i for i, n in enumerate(prob.host_names)}
        sidx = {n: i for i, n in enumerate(prob.svc_names)}
        cur = np.full(prob.N, -1, dtype=np.int64)
        nextk = np.zeros(S, dtype=np.int64)
        for p in inv["placement"]:
            s = sidx[p["service"]]
            for _ in range(int(p.get("count", 1))):
                k = nextk[s]
                if k < count[s]:
                    cur[offset[s] + k] = hidx[p["host"]]
                    nextk[s] += 1
        prob.current = cur
    return prob


def write_inventory(inv: dict, path: str) -> None:
    with open(path, "w") as f:
        json.dump(inv, f, separators=(",", ":"))


# --------------------------------------------------------------------------- verification

@dataclass
class Check:
    ok: bool
    placed: int
    unplaced: int
    hosts_used: int
    errors: list[str]


def verify(p: Problem, host_of: np.ndarray, max_errors: int = 5) -> Check:
    """Independent validity check of a placement (instance -> host index, -1 = unplaced)."""
    errs: list[str] = []
    def err(msg):
        if len(errs) < max_errors:
            errs.append(msg)
    host_of = np.asarray(host_of, dtype=np.int64)
    if host_of.shape != (p.N,):
        return Check(False, 0, p.N, 0, [f"placement has {host_of.shape} entries, want {p.N}"])
    svc = p.svc_of_instance()
    placed = host_of >= 0
    if np.any(host_of >= p.H):
        err("host index out of range")
        return Check(False, int(placed.sum()), int((~placed).sum()), 0, errs)
    # capacity
    load = np.zeros((p.H, p.D), dtype=np.int64)
    np.add.at(load, host_of[placed], p.req[svc[placed]])
    over = np.argwhere(load > p.usable)
    for h, d in over[:max_errors]:
        err(f"capacity: host {p.host_names[h]} {p.dims[d]} {load[h, d]} > {p.usable[h, d]}")
    # host state
    cur = p.current
    for i in np.flatnonzero(placed):
        st = p.states[host_of[i]]
        if st == "draining" or (st == "cordoned" and (cur is None or cur[i] != host_of[i])):
            err(f"state: instance {i} on {st} host {p.host_names[host_of[i]]}")
    # per-service rules
    pkg_hosts: dict[str, set] = {}
    excl_host_services: dict[int, set] = {}
    for h, s in zip(host_of[placed], svc[placed]):
        excl_host_services.setdefault(int(h), set()).add(int(s))
    for h, ss in excl_host_services.items():
        if len(ss) > 1 and any(p.exclusive[s] for s in ss):
            err(f"exclusive: host {p.host_names[h]} runs {sorted(p.svc_names[s] for s in ss)[:3]}")
    for s in range(p.S):
        hs = host_of[p.offset[s]:p.offset[s + 1]]
        hs = hs[hs >= 0]
        if len(hs) == 0:
            continue
        selm = p.selector_mask(s)
        if not selm[hs].all():
            err(f"selector: service {p.svc_names[s]}")
        sp = p.spread[s]
        if sp == "host" and len(set(hs.tolist())) != len(hs):
            err(f"spread host: service {p.svc_names[s]} has two instances on one host")
        elif sp not in ("host", "none"):
            dom = p.domain_of(sp)
            if any(dom[h] is None for h in hs):
                err(f"spread {sp}: service {p.svc_names[s]} on a host without that domain")
            cur_hosts = set(cur[p.offset[s]:p.offset[s + 1]].tolist()) if cur is not None else set()
            eligible = {dom[h] for h in range(p.H) if dom[h] is not None and (
                (p.states[h] == "active" and selm[h]) or (p.states[h] == "cordoned" and h in cur_hosts))}
            cnt = {d: 0 for d in eligible}
            for h in hs:
                if dom[h] is not None:
                    cnt[dom[h]] = cnt.get(dom[h], 0) + 1
            if cnt and max(cnt.values()) - min(cnt.values()) > 1:
                err(f"spread {sp}: service {p.svc_names[s]} skew {max(cnt.values()) - min(cnt.values())}")
        if p.supervisor == "habitat":
            seen = pkg_hosts.setdefault(p.svc_pkgname[s], set())
            hl = hs.tolist()
            if len(set(hl)) != len(hl) or seen.intersection(hl):
                err(f"habitat: package name {p.svc_pkgname[s]} twice on a host (service {p.svc_names[s]})")
            seen.update(hl)
    used = len(set(host_of[placed].tolist()))
    return Check(not errs, int(placed.sum()), int((~placed).sum()), used, errs)


# --------------------------------------------------------------------------- lower bounds

def _l2_1d(sizes: np.ndarray, c: int, max_alphas: int = 400) -> int:
    """Martello-Toth L2 for one dimension with identical bins of capacity c."""
    w = np.sort(sizes[sizes > 0])[::-1]
    if len(w) == 0:
        return 0
    best = int(math.ceil(w.sum() / c))
    alphas = np.unique(w[w <= c // 2])
    if len(alphas) > max_alphas:
        alphas = alphas[np.linspace(0, len(alphas) - 1, max_alphas).astype(int)]
    alphas = np.concatenate([[0], alphas])
    for a in alphas:
        j1 = w > c - a
        j2 = (w <= c - a) & (w > c / 2)
        j3 = (w <= c / 2) & (w >= a)
        n1, n2 = int(j1.sum()), int(j2.sum())
        free = n2 * c - int(w[j2].sum())
        extra = int(w[j3].sum()) - free
        lb = n1 + n2 + (int(math.ceil(extra / c)) if extra > 0 else 0)
        best = max(best, lb)
    return best


def lower_bound(p: Problem) -> tuple[int, str]:
    """A proven lower bound on the number of hosts of any placement of every instance."""
    active = np.array([st != "draining" for st in p.states])
    usable = p.usable[active]
    svc = p.svc_of_instance()
    dem = p.req[svc]
    best, why = 0, "none"
    tot = dem.sum(axis=0)
    for d in range(p.D):
        caps = np.sort(usable[:, d])[::-1]
        cs = np.cumsum(caps)
        if tot[d] > 0:
            k = int(np.searchsorted(cs, tot[d]) + 1)
            if k > best:
                best, why = k, f"volume {p.dims[d]}"
    maxcap = usable.max(axis=0)
    for d in range(p.D):
        k = int((dem[:, d] * 2 > maxcap[d]).sum())
        if k > best:
            best, why = k, f"items over half of {p.dims[d]}"
    for s in range(p.S):
        if (p.spread[s] == "host" or p.supervisor == "habitat") and p.count[s] > best:
            best, why = int(p.count[s]), f"spread of {p.svc_names[s]}"
    if p.supervisor == "habitat":
        by: dict[str, int] = {}
        for s in range(p.S):
            by[p.svc_pkgname[s]] = by.get(p.svc_pkgname[s], 0) + int(p.count[s])
        for k, v in by.items():
            if v > best:
                best, why = v, f"habitat package {k}"
    # L2 per dimension when hosts are identical
    if len(np.unique(usable, axis=0)) == 1 and len(dem) <= 200_000:
        for d in range(p.D):
            k = _l2_1d(dem[:, d], int(usable[0, d]))
            if k > best:
                best, why = k, f"L2 {p.dims[d]}"
    return best, why
