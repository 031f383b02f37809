"""Self-tests of the harness: the verifier catches each kind of violation, the generators plant what
they claim, the peers' placements are valid, and the constants copied from Nomad and Kubernetes.

    cd benchmarks && python3 -m unittest harness.test_harness -v
"""
import unittest

import numpy as np

from harness import generate, model, peers


def tiny(spread="host", supervisor="systemd", exclusive=False, zones=("a", "b"), selector=None):
    hosts = [{"name": f"h{i}", "zone": zones[i % len(zones)], "labels": {"arch": "x86_64" if i < 3 else "arm64"},
              "capacity": {"cpu": 4, "memory": "8GiB"}} for i in range(4)]
    svc = {"name": "web.prod", "package": "acme/web", "count": 2, "spread": spread}
    if exclusive:
        svc["exclusive"] = True
    if selector:
        svc["selector"] = selector
    return {"policy": {"headroom": 1.0, "supervisor": supervisor},
            "host": hosts,
            "package": [{"ident": "acme/web", "requests": {"cpu": 2, "memory": "4GiB"}},
                        {"ident": "acme/db", "requests": {"cpu": "500m", "memory": "1GiB"}}],
            "service": [svc, {"name": "db.prod", "package": "acme/db", "count": 1, "spread": "none"}]}


class VerifierTests(unittest.TestCase):
    def test_quantities(self):
        p = model.from_inventory(tiny())
        self.assertEqual(p.dims, ["cpu", "memory"])
        self.assertEqual(p.req[0].tolist(), [2000, 4 * 1024**3])
        self.assertEqual(p.req[1].tolist(), [500, 1024**3])

    def test_valid_and_capacity(self):
        p = model.from_inventory(tiny(spread="none"))
        self.assertTrue(model.verify(p, np.array([0, 1, 0])).ok)
        # two web (2 cpu each) + db (0.5) on h0: 4.5 > 4 cpu
        c = model.verify(p, np.array([0, 0, 0]))
        self.assertFalse(c.ok)
        self.assertIn("capacity", c.errors[0])

    def test_spread_host(self):
        p = model.from_inventory(tiny(spread="host"))
        self.assertFalse(model.verify(p, np.array([1, 1, 0])).ok)

    def test_habitat_package_name(self):
        inv = tiny(spread="none", supervisor="habitat")
        p = model.from_inventory(inv)
        c = model.verify(p, np.array([1, 1, 0]))
        self.assertFalse(c.ok)
        self.assertIn("habitat", c.errors[0])

    def test_exclusive(self):
        p = model.from_inventory(tiny(exclusive=True))
        self.assertFalse(model.verify(p, np.array([0, 1, 0])).ok)
        self.assertTrue(model.verify(p, np.array([0, 1, 2])).ok)

    def test_zone_skew_and_selector(self):
        p = model.from_inventory(tiny(spread="zone"))
        # h0 and h2 are both in zone a: skew 2 - 0 > 1
        self.assertFalse(model.verify(p, np.array([0, 2, 1])).ok)
        self.assertTrue(model.verify(p, np.array([0, 1, 1])).ok)
        p = model.from_inventory(tiny(selector={"arch": "arm64"}))
        self.assertFalse(model.verify(p, np.array([0, 3, 1])).ok)

    def test_unplaced_counted(self):
        p = model.from_inventory(tiny())
        c = model.verify(p, np.array([0, -1, 1]))
        self.assertEqual((c.placed, c.unplaced, c.hosts_used), (2, 1, 2))


class GeneratorTests(unittest.TestCase):
    def test_planted_exact_fills_k_hosts(self):
        inv = generate.planted(400, 3, "exact", seed=3, items_per_host=(2, 8))
        p = model.from_inventory(inv)
        K = inv["meta"]["planted_k"]
        total = p.req[p.svc_of_instance()].sum(axis=0)
        self.assertTrue(np.array_equal(total, K * p.usable[0]))
        self.assertEqual(model.lower_bound(p)[0], K)
        self.assertGreater(p.H, K)

    def test_planted_95_is_below_k(self):
        inv = generate.planted(400, 2, "95", seed=3)
        p = model.from_inventory(inv)
        total = p.req[p.svc_of_instance()].sum(axis=0)
        self.assertTrue(np.all(total <= inv["meta"]["planted_k"] * p.usable[0]))

    def test_fleet_unique_idents_and_deterministic(self):
        a, b = generate.fleet(2000, seed=7), generate.fleet(2000, seed=7)
        self.assertEqual(a, b)
        ids = [x["ident"] for x in a["package"]]
        self.assertEqual(len(ids), len(set(ids)))


class PeerTests(unittest.TestCase):
    def test_peers_valid_on_fleet(self):
        p = model.from_inventory(generate.fleet(1500, seed=2))
        for name in ("ffd", "nomad", "k8s"):
            out = peers.PEERS[name](p, 1)
            c = model.verify(p, out)
            self.assertTrue(c.ok, (name, c.errors))

    def test_cpsat_small(self):
        p = model.from_inventory(generate.planted(40, 2, "exact", seed=1, items_per_host=(2, 4)))
        out, info = peers.cpsat(p, 1, time_limit=10, workers=1)
        c = model.verify(p, out)
        self.assertTrue(c.ok and c.unplaced == 0, info)

    def test_k8s_num_feasible_nodes(self):
        f = peers.k8s_num_feasible_nodes_to_find
        self.assertEqual(f(50), 50)        # fewer than 100 nodes: all
        self.assertEqual(f(100), 100)      # 50 % of 100 = 50 -> minimum 100
        self.assertEqual(f(1000), 420)     # 50 - 8 = 42 %
        self.assertEqual(f(5000), 500)     # 50 - 40 = 10 %
        self.assertEqual(f(10000), 500)    # 50 - 80 < 5 -> 5 %

    def test_nomad_score_bounds(self):
        p = model.from_inventory(tiny(spread="none"))
        c = peers.Cluster(p)
        s = peers._nomad_scores(p, c, 0, np.array([0]), 0, 1)
        # one web instance on an empty 4-cpu/8-GiB host: 20 - 2 * 10^0.5, normalized by 18
        self.assertAlmostEqual(float(s[0]), (20 - 2 * 10**0.5) / 18, places=9)


if __name__ == "__main__":
    unittest.main()
