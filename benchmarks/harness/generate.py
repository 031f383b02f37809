"""Seeded generators of benchmark inventories (FORMATS.md structure, written as JSON).

Families
--------
planted   Planted optimum. K hosts (one class, or a few classes) are each filled by cutting
          their capacity, dimension by dimension, into random integer parts (uniform cut
          points, i.e. Dirichlet(1) shares) in 2-4 dimensions; item j of a host takes part j
          of every dimension. `fill="exact"` fills every host to 100 % of every dimension, so
          (one host class) the volume bound equals K and K is the optimum; `fill="95"` fills
          each host to a random 95-97 %, so K is an upper bound on the optimum (recorded as
          `meta.planted_k`). Spare hosts (25 % + 2) are added so a poor packer can use more
          than K; hosts and items are shuffled. Pure packing: `spread = "none"`,
          `supervisor = "systemd"`, every item its own service and package, headroom 1.0.
fleet     Realistic heavy-tailed fleet: log-normal cpu requests with a Pareto tail, memory
          from a log-normal GiB-per-core ratio, log-normal disk; replica counts 1-10; spread
          host by default, ~10 % spread=zone over 3 zones, ~10 % pinned to an arm64 pool by
          selector, ~0.5 % exclusive tenants, Habitat supervisor (one instance per package
          name per host; ~10 % of services share a package name with another service group).
          Hosts: 4 classes (3 x86_64 shapes + an arm64 pool), 10 instances per host on average.

Usage:  python -m harness.generate planted --n 1000 --dims 3 --fill exact --seed 1 -o out.json
        python -m harness.generate fleet --n 100000 --seed 1 -o fleet-100k.json
"""
from __future__ import annotations

import argparse
import math

import numpy as np

try:
    from .model import write_inventory
except ImportError:  # run as a script
    from model import write_inventory

GIB = 1024**3
MIB = 1024**2

# dimension name, capacity of the base host class, unit of a split (raw grain), how to write
_PLANTED_DIMS = [
    ("cpu", 64_000, 10),          # milli-cores, grain 10m, written "NNNm"
    ("memory", 256 * 1024, 16),   # MiB, grain 16 MiB, written as bytes
    ("disk", 2 * 1024 * 1024, 256),  # MiB, grain 256 MiB, written as bytes
    ("gpu", 8_000, 125),          # milli-gpus written as integers (gpu = count of 1/1000 GPUs)
]
_CLASS_SCALES = [(1.0, 1.0, 1.0, 1.0), (0.5, 0.5, 0.5, 0.5), (1.5, 2.0, 1.0, 1.0)]


def _fmt(dim: str, v: int):
    if dim == "cpu":
        return f"{v}m"
    if dim in ("memory", "disk"):
        return int(v) * MIB
    return int(v)


def _split(rng: np.random.Generator, total_grains: int, m: int) -> np.ndarray:
    """Cut total_grains into m positive integer parts with uniform cut points."""
    m = max(1, min(m, total_grains))
    if m == 1:
        return np.array([total_grains])
    while True:
        cuts = np.unique(rng.integers(1, total_grains, size=m - 1))
        if len(cuts) == m - 1:
            break
    edges = np.concatenate([[0], cuts, [total_grains]])
    return np.diff(edges)


def planted(n: int, dims: int = 3, fill: str = "exact", seed: int = 1, classes: int = 1,
            items_per_host: tuple[int, int] = (4, 16)) -> dict:
    rng = np.random.default_rng(seed * 7919 + dims * 31 + (0 if fill == "exact" else 1) + classes * 101)
    dd = _PLANTED_DIMS[:dims]
    hosts, items = [], []
    host_class = []
    k = 0
    while len(items) < n:
        c = int(rng.integers(classes)) if classes > 1 else 0
        scale = _CLASS_SCALES[c]
        m = int(rng.integers(items_per_host[0], items_per_host[1] + 1))
        m = min(m, n - len(items)) if n - len(items) >= items_per_host[0] else m
        frac = 1.0 if fill == "exact" else float(rng.uniform(0.95, 0.97))
        parts = []
        for j, (dname, base, grain) in enumerate(dd):
            capg = int(round(base * scale[j])) // grain
            use = capg if fill == "exact" else int(math.floor(capg * frac))
            parts.append(_split(rng, use, m) * grain)
        for i in range(m):
            items.append([int(parts[j][i]) for j in range(len(dd))])
        host_class.append(c)
        k += 1
    items = items[:n] if fill != "exact" else items  # exact fill keeps every host's items
    K = k
    spare = int(math.ceil(0.25 * K)) + 2
    for _ in range(spare):
        host_class.append(int(rng.integers(classes)) if classes > 1 else 0)
    rng.shuffle(host_class)
    for i, c in enumerate(host_class):
        scale = _CLASS_SCALES[c]
        hosts.append({
            "name": f"h{i:05d}",
            "capacity": {dname: _fmt(dname, int(round(base * scale[j])) // grain * grain)
                         for j, (dname, base, grain) in enumerate(dd)},
        })
    order = rng.permutation(len(items))
    packages, services = [], []
    for idx, it in enumerate(order):
        req = {dname: _fmt(dname, items[it][j]) for j, (dname, _, _) in enumerate(dd)}
        packages.append({"ident": f"bench/item{idx}", "requests": req})
        services.append({"name": f"item{idx}.bench", "package": f"bench/item{idx}", "count": 1, "spread": "none"})
    name = f"planted-{fill}-{dims}d{'-c' + str(classes) if classes > 1 else ''}-{len(items)}-s{seed}"
    return {
        "policy": {"headroom": 1.0, "supervisor": "systemd", "objective": "hosts"},
        "host": hosts, "package": packages, "service": services,
        "meta": {"name": name, "family": "planted", "planted_k": K,
                 "optimum": K if (fill == "exact" and classes == 1) else None},
    }


def fleet(n: int, seed: int = 1, hosts_per_instance: float = 0.1, zones: int = 3) -> dict:
    rng = np.random.default_rng(seed * 104729 + 17)
    zone_names = [f"z-{chr(97 + z)}" for z in range(zones)]
    # services
    services, packages = [], []
    total = 0
    si = 0
    shared_names: list[str] = []
    while total < n:
        count = 1 if rng.random() < 0.25 else int(min(10, 2 + rng.geometric(0.25) - 1))
        count = min(count, n - total)
        cpu = float(np.clip(rng.lognormal(math.log(1.0), 0.9), 0.05, 24))
        if rng.random() < 0.03:
            cpu = float(np.clip(cpu * (rng.pareto(1.5) + 1), 0.05, 40))
        mem_per_core = float(np.clip(rng.lognormal(math.log(4.0), 0.6), 0.25, 32))
        mem = int(np.clip(cpu * mem_per_core * GIB, 64 * MIB, 300 * GIB)) // MIB * MIB
        disk = int(np.clip(rng.lognormal(math.log(10), 1.2), 0.1, 800) * GIB) // MIB * MIB
        cpu_m = max(10, int(round(cpu * 100)) * 10)
        r = rng.random()
        svc = {"name": f"svc{si}.prod", "count": count}
        if r < 0.10 and count >= 2:
            svc["spread"] = "zone"
        if rng.random() < 0.10:
            svc["selector"] = {"arch": "arm64"}
            svc["count"] = count = min(count, 6)
        elif rng.random() < 0.05:
            svc["selector"] = {"arch": "x86_64"}
        if rng.random() < 0.005:
            svc["exclusive"] = True
            svc["count"] = count = min(count, 3)
            cpu_m = max(cpu_m, 8000)
            mem = max(mem, 32 * GIB)
        # package: own name, or (10 %) the name of an earlier service's package, other version
        if shared_names and rng.random() < 0.10:
            pname = shared_names[int(rng.integers(len(shared_names)))]
            ident = f"smartbee/{pname}/{si}.1.0"  # own packages are x/1.0.0: idents stay unique
        else:
            pname = f"app{si}"
            ident = f"smartbee/{pname}/1.0.0"
            if len(shared_names) < 500:
                shared_names.append(pname)
        packages.append({"ident": ident, "requests": {"cpu": f"{cpu_m}m", "memory": mem, "disk": disk}})
        svc["package"] = ident
        services.append(svc)
        total += count
        si += 1
    # hosts
    H = max(10, int(round(n * hosts_per_instance)))
    shapes = [  # share, cpu cores, memory GiB, disk TiB, arch
        (0.30, 32, 128, 1, "x86_64"),
        (0.40, 64, 256, 2, "x86_64"),
        (0.15, 96, 384, 4, "x86_64"),
        (0.15, 64, 256, 2, "arm64"),
    ]
    n_arm = max(4 * zones, int(round(0.15 * H)))
    shares = np.array([s[0] for s in shapes[:3]])
    cls = np.concatenate([np.full(n_arm, 3), rng.choice(3, size=H - n_arm, p=shares / shares.sum())])
    zone_of = np.arange(H) % zones
    perm = rng.permutation(H)
    hosts = []
    for i, j in enumerate(perm):
        _, cores, memg, diskt, arch = shapes[cls[j]]
        hosts.append({
            "name": f"hive-{i:05d}", "zone": zone_names[int(zone_of[j])],
            "capacity": {"cpu": cores, "memory": f"{memg}GiB", "disk": f"{diskt}TiB"},
            "labels": {"arch": arch},
        })
    return {
        "policy": {"headroom": 1.0, "supervisor": "habitat", "objective": "hosts"},
        "host": hosts, "package": packages, "service": services,
        "meta": {"name": f"fleet-{n}-s{seed}", "family": "fleet", "optimum": None},
    }


def strip_meta(inv: dict) -> dict:
    return {k: v for k, v in inv.items() if k != "meta"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("family", choices=["planted", "fleet"])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--dims", type=int, default=3)
    ap.add_argument("--fill", choices=["exact", "95"], default="exact")
    ap.add_argument("--classes", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    if a.family == "planted":
        inv = planted(a.n, a.dims, a.fill, a.seed, a.classes)
    else:
        inv = fleet(a.n, a.seed)
    print(inv["meta"])
    write_inventory(strip_meta(inv), a.output)


if __name__ == "__main__":
    main()
