"""Out-of-sample check of the packing engine: instances the recorded comparison does not use.

The recorded comparison (`compare.py`) runs a fixed sample of the public sets. To check that
changes to the planner are not tuned to that sample, this runs one or more Apiary binaries on
other instances with known optima and reports the mean gap per family:

- BPPLIB 1-D: up to 3 solved instances per folder, drawn at random (seed 7) among those the
  comparison does not use, n <= 2,000;
- vector packing (Mommessin et al. 2024), Panigrahy and New families: every instance with
  n = 120 and instance seed 1 or 2 (the comparison uses seed 0), negative sizes skipped.

    python3 benchmarks/harness/out_of_sample.py --apiary OLD --apiary NEW [--out DIR]

Data sets are read from ../shared/datasets (or $APIARY_DATASETS) and skipped when absent.
"""
import argparse, csv, glob, json, os, random, subprocess, sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from harness import datasets as D  # noqa: E402


def inventories() -> list[dict]:
    rng = random.Random(7)
    out = []
    root = os.path.join(D.DATA, "bpplib-1d")
    if os.path.isdir(root):
        rows = [r for r in csv.DictReader(open(os.path.join(root, "bounds.tsv")), delimiter="\t")
                if r["status"] == "solved"]
        used = {inv["meta"]["name"] for inv in D.bpplib(False)}
        by_folder = defaultdict(list)
        for r in rows:
            by_folder[os.path.dirname(r["path"])].append(r)
        for folder in sorted(by_folder):
            rs = [r for r in by_folder[folder] if "bpp-" + r["instance"] not in used]
            for r in rng.sample(rs, min(3, len(rs))):
                tok = open(os.path.join(root, r["path"])).read().split()
                n, c = int(tok[0]), int(tok[1])
                if n > 2000:
                    continue
                opt = int(r["best_ub"])
                out.append(D._packing_inventory(f"bpp-{r['instance']}", [c], opt + opt // 2 + 5,
                                                [(int(t),) for t in tok[2:2 + n]], {"optimum": opt}))
    vroot = os.path.join(D.DATA, "vectorpack-mommessin2024")
    if os.path.isdir(vroot):
        for fam, folder in [("Panigrahy", "Panigrahy_instances_multidim"), ("New", "New_instances_multidim")]:
            with open(os.path.join(vroot, "results_data", f"{fam}_summary_known.csv")) as f:
                known = {row["instance_name"]: row for row in csv.DictReader(f, delimiter="\t")}
            for path in sorted(glob.glob(os.path.join(vroot, folder, "*", "*.vbp"))):
                base = os.path.basename(path)[:-4]
                _, n, _, seed = base.rsplit("_", 3)
                k = known.get(base)
                if int(n) != 120 or int(seed) not in (1, 2) or not k or int(k["OPT"]) < 0:
                    continue
                caps, items = D._read_vbp(path)
                if any(v < 0 for it in items for v in it):
                    continue
                opt = int(k["OPT"])
                out.append(D._packing_inventory(f"vbp-{fam}-{base}", caps, opt + opt // 2 + 5, items,
                                                {"optimum": opt}, group_identical=False))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--apiary", action="append", required=True, help="apiary binary (repeat to compare)")
    ap.add_argument("--out", default="/tmp/apiary-out-of-sample")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    invs = inventories()
    for inv in invs:
        with open(os.path.join(args.out, inv["meta"]["name"] + ".json"), "w") as f:
            json.dump({k: v for k, v in inv.items() if k != "meta"}, f)
    for binary in args.apiary:
        hosts = {}
        for inv in invs:
            name = inv["meta"]["name"]
            plan = os.path.join(args.out, "plan.json")
            subprocess.run([binary, "plan", os.path.join(args.out, name + ".json"), "--format", "json", "-o", plan],
                           check=True, capture_output=True)
            with open(plan) as f:
                hosts[name] = json.load(f)["summary"]["hosts_used"]
        for fam in ("bpp", "vbp"):
            names = [inv["meta"]["name"] for inv in invs if inv["meta"]["name"].startswith(fam)]
            if not names:
                continue
            opt = {inv["meta"]["name"]: inv["meta"]["optimum"] for inv in invs}
            gap = 100 * sum(hosts[n] / opt[n] - 1 for n in names) / len(names)
            at = sum(hosts[n] == opt[n] for n in names)
            print(f"{binary}: {fam} {len(names)} instances, mean gap {gap:.2f} %, {at} at the optimum", flush=True)


if __name__ == "__main__":
    main()
