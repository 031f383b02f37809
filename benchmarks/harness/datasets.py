"""Load-time converters for the public datasets in ../shared/datasets (relative to the repo).

Nothing is copied into the repository: each loader reads the upstream files and returns
inventory dicts (FORMATS.md structure, plus a `meta` entry the harness strips before
writing). Absent datasets are skipped (the loaders return an empty list).

Common choices
--------------
* Pure packing sets (vector packing, BPPLIB, Alibaba): `[policy] supervisor = "systemd"`,
  `headroom = 1.0`, `spread = "none"`, one package per service.
* Dimension names: the first two dimensions are called `cpu` and `memory` (so Nomad's
  cpu/memory-only score sees them), the rest `r2`, `r3`, ...; values are written as the
  dataset's integers (cpu as whole "cores", memory as bytes): only ratios matter.
"""
from __future__ import annotations

import csv
import glob
import os
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DATA = os.environ.get("APIARY_DATASETS", os.path.abspath(os.path.join(REPO, "..", "shared", "datasets")))


def _dim_names(d: int) -> list[str]:
    return (["cpu", "memory"] + [f"r{i}" for i in range(2, d)])[:d]


def _packing_inventory(name: str, caps: list[int], n_hosts: int, items: list[tuple], meta: dict,
                       group_identical: bool = True) -> dict:
    """Identical hosts of capacity `caps`; items (tuples of sizes) -> services."""
    dims = _dim_names(len(caps))
    hosts = [{"name": f"b{i:05d}", "capacity": {d: int(c) for d, c in zip(dims, caps)}} for i in range(n_hosts)]
    groups = Counter(items) if group_identical else None
    packages, services = [], []
    seq = list(groups.items()) if group_identical else [(it, 1) for it in items]
    for k, (it, cnt) in enumerate(seq):
        packages.append({"ident": f"bench/i{k}", "requests": {d: int(v) for d, v in zip(dims, it)}})
        services.append({"name": f"i{k}.bench", "package": f"bench/i{k}", "count": int(cnt), "spread": "none"})
    meta = dict(meta)
    meta["name"] = name
    return {"policy": {"headroom": 1.0, "supervisor": "systemd", "objective": "hosts"},
            "host": hosts, "package": packages, "service": services, "meta": meta}


# --------------------------------------------------------------------------- vector packing (Mommessin et al.)

def _read_vbp(path: str):
    tok = open(path).read().split()
    d = int(tok[0])
    caps = [int(t) for t in tok[1:1 + d]]
    m = int(tok[1 + d])
    items = []
    pos = 2 + d
    for _ in range(m):
        w = tuple(int(t) for t in tok[pos:pos + d])
        q = int(tok[pos + d])
        pos += d + 1
        items.extend([w] * q)
    return caps, items


def vectorpack(quick: bool = False) -> list[dict]:
    """Subset with known optimum: every class of the three families, d in {3, 10} (quick: d=3),
    n in {120, 500} for Panigrahy/New (quick: 120), n in {120, 501} for Triplet (quick: 120), seed 0.
    Caprara triplets with negative sizes (77 of 120 files) are skipped."""
    root = os.path.join(DATA, "vectorpack-mommessin2024")
    if not os.path.isdir(root):
        return []
    out = []
    for fam, folder in [("Panigrahy", "Panigrahy_instances_multidim"), ("New", "New_instances_multidim"),
                        ("Triplet", "Triplet_instances_multidim")]:
        known = {}
        with open(os.path.join(root, "results_data", f"{fam}_summary_known.csv")) as f:
            for row in csv.DictReader(f, delimiter="\t"):
                known[row["instance_name"]] = row
        ns = ([120] if quick else [120, 500]) if fam != "Triplet" else ([120] if quick else [120, 501])
        ds = [3] if quick else [3, 10]
        for path in sorted(glob.glob(os.path.join(root, folder, "*", "*.vbp"))):
            base = os.path.basename(path)[:-4]
            cls, n, d, seed = base.rsplit("_", 3)
            if int(n) not in ns or int(d) not in ds or int(seed) != 0:
                continue
            k = known.get(base)
            if not k or int(k["OPT"]) < 0:
                continue
            caps, items = _read_vbp(path)
            if any(v < 0 for it in items for v in it):
                continue  # negative sizes (Caprara triplets): skipped, see dataset README
            opt = int(k["OPT"])
            out.append(_packing_inventory(
                f"vbp-{fam}-{base}", caps, opt + opt // 2 + 5, items,
                {"family": f"vbp-{fam}", "optimum": opt, "lb": int(k["LB"]),
                 "best_heuristic": int(k["best_overall"])}, group_identical=False))
    return out


# --------------------------------------------------------------------------- BPPLIB 1-D

def bpplib(quick: bool = False) -> list[dict]:
    """Representative subset of solved instances: per folder, files in name order, every k-th so
    that about 4 per folder remain (Hard28: 8; quick: 2 per folder, Hard28: 3)."""
    root = os.path.join(DATA, "bpplib-1d")
    if not os.path.isdir(root):
        return []
    rows = []
    with open(os.path.join(root, "bounds.tsv")) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            rows.append(row)
    by_folder = defaultdict(list)
    for r in rows:
        if r["status"] != "solved":
            continue
        by_folder[os.path.dirname(r["path"])].append(r)
    out = []
    for folder in sorted(by_folder):
        rs = sorted(by_folder[folder], key=lambda r: r["path"])
        want = (3 if quick else 8) if "Hard28" in folder else (2 if quick else 4)
        step = max(1, len(rs) // want)
        for r in rs[::step][:want]:
            tok = open(os.path.join(root, r["path"])).read().split()
            n, c = int(tok[0]), int(tok[1])
            items = [(int(t),) for t in tok[2:2 + n]]
            opt = int(r["best_ub"])
            out.append(_packing_inventory(
                f"bpp-{r['instance']}", [c], opt + opt // 2 + 5, items,
                {"family": f"bpp-{folder.split('/')[0]}", "optimum": opt, "lb": int(r["best_lb"])}))
    return out


# --------------------------------------------------------------------------- Alibaba GPU trace

def alibaba(pods: str = "default") -> list[dict]:
    """Nodes -> hosts (cpu from cpu_milli, memory from memory_mib, gpu in milli-GPUs =
    gpu x 1000, label gpu_model); the Running + Pending pods of `openb_pod_list_<pods>.csv` ->
    services, pods with identical (cpu, memory, gpu) requests grouped into one service with
    spread "none"; gpu request = num_gpu x gpu_milli. Simplifications: GPU sharing is treated
    as a divisible aggregate dimension (a 0.47-GPU pod may straddle two GPUs of a node in this
    model), `gpu_spec` model constraints are ignored (the default list has none), QoS ignored."""
    root = os.path.join(DATA, "alibaba-gpu-v2023-openb")
    nodes_f = os.path.join(root, "openb_node_list_all_node.csv")
    pods_f = os.path.join(root, f"openb_pod_list_{pods}.csv")
    if not (os.path.exists(nodes_f) and os.path.exists(pods_f)):
        return []
    hosts = []
    with open(nodes_f) as f:
        for r in csv.DictReader(f):
            h = {"name": r["sn"], "capacity": {"cpu": f"{int(r['cpu_milli'])}m",
                                               "memory": int(r["memory_mib"]) * 1024**2,
                                               "gpu": int(r["gpu"]) * 1000}}
            if r.get("model"):
                h["labels"] = {"gpu_model": r["model"]}
            hosts.append(h)
    groups = Counter()
    with open(pods_f) as f:
        for r in csv.DictReader(f):
            if r.get("pod_phase", "Running") not in ("Running", "Pending"):
                continue
            gpu = int(r["num_gpu"]) * int(r.get("gpu_milli") or (1000 if int(r["num_gpu"]) else 0))
            groups[(int(r["cpu_milli"]), int(r["memory_mib"]), gpu)] += 1
    packages, services = [], []
    for k, ((cpu, mem, gpu), cnt) in enumerate(sorted(groups.items(), key=lambda kv: (-kv[1], kv[0]))):
        packages.append({"ident": f"alibaba/pod{k}", "requests": {"cpu": f"{cpu}m", "memory": mem * 1024**2, "gpu": gpu}})
        services.append({"name": f"pod{k}.openb", "package": f"alibaba/pod{k}", "count": cnt, "spread": "none"})
    return [{"policy": {"headroom": 1.0, "supervisor": "systemd", "objective": "hosts"},
             "host": hosts, "package": packages, "service": services,
             "meta": {"name": f"alibaba-openb-{pods}", "family": "alibaba", "optimum": None}}]


# --------------------------------------------------------------------------- ROADEF 2012

def roadef_ids() -> list[str]:
    root = os.path.join(DATA, "roadef2012-machine-reassignment")
    ids = []
    for sub in ("A", "B"):
        for path in sorted(glob.glob(os.path.join(root, sub, "model_*.txt"))):
            i = os.path.basename(path)[len("model_"):-4]
            if os.path.exists(os.path.join(root, sub, f"assignment_{i}.txt")):
                ids.append(i)
    return ids


def roadef(instance: str) -> dict | None:
    """One ROADEF/EURO 2012 (Google machine reassignment) instance as an inventory with its
    initial assignment as `[[placement]]`.

    Mapping
    -------
    * machine m -> host `m<m>`: capacity[R] as capacity (resource 0 = `cpu`, 1 = `memory`,
      others `r2`...), location l -> zone `loc<l>`, neighbourhood -> label `neighborhood`.
    * process p -> one instance. Apiary's services have identical instances, so the processes of
      a ROADEF service s are grouped by identical requirement vectors; each group is an Apiary
      service `s<s>.g<k>` with package `roadef/s<s>/<k>`. All groups of s share the package *name*
      `s<s>`, and the inventory uses `supervisor = "habitat"`, so the Habitat rule (one instance
      per package name per host) is exactly ROADEF's conflict constraint (processes of a service on
      distinct machines).
    * spreadMin: a service with spreadMin > 1 whose processes form a single group gets
      `spread = "zone"`, which balances it over the locations (max skew 1) and therefore puts it in
      at least min(count, #locations) locations >= spreadMin. Other groups get `spread = "none"`
      (the Habitat rule still keeps them on distinct hosts). Simplification: a service with
      spreadMin > 1 split over several requirement groups is not spread-constrained.
    * the initial assignment -> `[[placement]]` entries (host, service group, count).

    Dropped (documented simplifications): dependencies between services (neighbourhood
    constraints), transient-resource double counting (Apiary's migration waves count old and new
    copies during a wave anyway), safety capacities, load / balance / move costs and their weights.
    Zone balance is stronger than spreadMin, so the initial assignment may violate it; such
    services are still valid for Apiary only after moves (counted in its move total).
    """
    root = os.path.join(DATA, "roadef2012-machine-reassignment")
    sub = "A" if instance.startswith("a") else "B"
    mpath = os.path.join(root, sub, f"model_{instance}.txt")
    apath = os.path.join(root, sub, f"assignment_{instance}.txt")
    if not (os.path.exists(mpath) and os.path.exists(apath)):
        return None
    tok = open(mpath).read().split()
    pos = 0
    def nxt():
        nonlocal pos
        pos += 1
        return int(tok[pos - 1])
    R = nxt()
    for _ in range(R):
        nxt(); nxt()
    M = nxt()
    machines = []
    for _ in range(M):
        nb, loc = nxt(), nxt()
        cap = [nxt() for _ in range(R)]
        for _ in range(R):
            nxt()  # safety capacity
        pos += M   # machine move costs
        machines.append((nb, loc, cap))
    S = nxt()
    spread_min = []
    for _ in range(S):
        sm, nd = nxt(), nxt()
        pos += nd
        spread_min.append(sm)
    P = nxt()
    procs = []
    for _ in range(P):
        s = nxt()
        req = tuple(nxt() for _ in range(R))
        nxt()  # move cost
        procs.append((s, req))
    assign = [int(t) for t in open(apath).read().split()]
    assert len(assign) == P, (instance, len(assign), P)
    dims = _dim_names(R)
    hosts = [{"name": f"m{i}", "zone": f"loc{loc}", "labels": {"neighborhood": f"n{nb}"},
              "capacity": {d: int(c) for d, c in zip(dims, cap)}} for i, (nb, loc, cap) in enumerate(machines)]
    groups: dict[int, dict[tuple, list[int]]] = defaultdict(dict)
    for p, (s, req) in enumerate(procs):
        groups[s].setdefault(req, []).append(p)
    n_locs = len({loc for _, loc, _ in machines})
    packages, services, placement = [], [], []
    zone_services = 0
    for s in sorted(groups):
        gs = groups[s]
        for k, (req, ps) in enumerate(sorted(gs.items())):
            name = f"s{s}.g{k}"
            ident = f"roadef/s{s}/{k}"
            packages.append({"ident": ident, "requests": {d: int(v) for d, v in zip(dims, req)}})
            svc = {"name": name, "package": ident, "count": len(ps), "spread": "none"}
            if spread_min[s] > 1 and len(gs) == 1 and len(ps) > 1:
                svc["spread"] = "zone"
                zone_services += 1
            services.append(svc)
            per_host = Counter(assign[p] for p in ps)
            for m, c in sorted(per_host.items()):
                placement.append({"host": f"m{m}", "service": name, "count": c})
    return {"policy": {"headroom": 1.0, "supervisor": "habitat", "objective": "hosts", "max_unavailable": 1},
            "host": hosts, "package": packages, "service": services, "placement": placement,
            "meta": {"name": f"roadef-{instance}", "family": "roadef", "optimum": None,
                     "processes": P, "machines": M, "resources": R, "roadef_services": S,
                     "apiary_services": len(services), "zone_services": zone_services, "locations": n_locs,
                     "hosts_before": len(set(assign))}}
