#!/usr/bin/env python3
"""Load generator for `apiary serve`: HOSTS simulated agents long-polling their orders plus
RATE status posts per second, for DURATION seconds. Optionally applies a new generation
halfway (--apply-cmd) to measure how fast every waiting poll is woken.

Reports throughput, p50/p99 latency per request kind, errors, and the server's RSS over time
(read from /proc/PID/status). Writes a JSON summary with --out.
"""
import argparse
import asyncio
import json
import os
import random
import time

import aiohttp


def pct(values, p):
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def open_fds(pid):
    """Open file descriptors of the server (≈ its TCP connections)."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Stats:
    def __init__(self):
        self.lat = {}      # kind -> [seconds]
        self.count = {}    # (kind, status) -> n
        self.errors = {}   # message -> n
        self.wake = []     # monotonic times at which long polls got a 200 (a new generation)
        self.overshoot = []  # long polls answered 304: seconds held beyond ?wait=

    def record(self, kind, status, seconds):
        self.count[(kind, status)] = self.count.get((kind, status), 0) + 1
        self.lat.setdefault(kind, []).append(seconds)

    def error(self, message):
        self.errors[message] = self.errors.get(message, 0) + 1


async def poller(session, base, host, token, wait, stats, stop, generation):
    etag = None
    headers = {"Authorization": f"Bearer {token}"}
    # Spread the first requests over the first seconds like agents starting at different times.
    await asyncio.sleep(random.random() * 5)
    while not stop.is_set():
        h = dict(headers)
        url = f"{base}/v1/hosts/{host}/orders"
        kind = "orders"
        if etag:
            h["If-None-Match"] = etag
            url += f"?wait={wait}"
            kind = "orders-longpoll"
        t0 = time.perf_counter()
        try:
            async with session.get(url, headers=h) as r:
                await r.read()
                dt = time.perf_counter() - t0
                stats.record(kind, r.status, dt)
                if kind == "orders-longpoll" and r.status == 304:
                    stats.overshoot.append(dt - wait)
                if r.status == 200:
                    etag = r.headers.get("ETag")
                    # Status posts report the newest generation this process has seen served.
                    generation["value"] = max(generation["value"], int(r.headers.get("X-Apiary-Generation", "0")))
                    if kind == "orders-longpoll":
                        stats.wake.append(time.perf_counter())
                elif r.status != 304:
                    stats.error(f"orders {r.status}")
                    await asyncio.sleep(1)
        except asyncio.CancelledError:
            return
        except Exception as e:  # noqa: BLE001 - count every failure
            stats.error(f"orders {type(e).__name__}")
            await asyncio.sleep(1)


async def poster(session, base, hosts, tokens, rate, stats, stop, generation, inflight_cap):
    sem = asyncio.Semaphore(inflight_cap)
    interval = 1.0 / rate
    next_at = time.perf_counter()
    tasks = set()

    async def one(host, token):
        body = json.dumps({"generation": generation["value"],
                           "services": [{"service": "svc1.prod", "state": "running"}]})
        t0 = time.perf_counter()
        try:
            async with session.post(f"{base}/v1/hosts/{host}/status", data=body,
                                    headers={"Authorization": f"Bearer {token}",
                                             "Content-Type": "application/json"}) as r:
                await r.read()
                stats.record("status", r.status, time.perf_counter() - t0)
                if r.status != 204:
                    stats.error(f"status {r.status}")
        except Exception as e:  # noqa: BLE001
            stats.error(f"status {type(e).__name__}")
        finally:
            sem.release()

    while not stop.is_set():
        now = time.perf_counter()
        if now < next_at:
            await asyncio.sleep(next_at - now)
        next_at += interval
        if not sem.locked():
            await sem.acquire()
            i = random.randrange(len(hosts))
            t = asyncio.create_task(one(hosts[i], tokens[i]))
            tasks.add(t)
            t.add_done_callback(tasks.discard)
        else:
            stats.error("status skipped (client at concurrency cap)")
    await asyncio.gather(*tasks, return_exceptions=True)


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:9632")
    ap.add_argument("--tokens", required=True, help="file of HOST<TAB>TOKEN lines")
    ap.add_argument("--hosts", type=int, default=5000)
    ap.add_argument("--rate", type=float, default=1000, help="status posts per second")
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--wait", type=int, default=30)
    ap.add_argument("--procs", type=int, default=2, help="client processes (hosts and rate are split)")
    ap.add_argument("--pid", type=int, help="server pid for RSS sampling")
    ap.add_argument("--apply-cmd", help="shell command run at half time (a new generation)")
    ap.add_argument("--out")
    return ap.parse_args()


async def worker(a, index, queue):
    pairs = [line.rstrip("\n").split("\t") for line in open(a.tokens) if line.strip()][: a.hosts]
    pairs = pairs[index:: a.procs]
    hosts = [p[0] for p in pairs]
    tokens = [p[1] for p in pairs]
    stats = Stats()
    stop = asyncio.Event()
    applied = {}
    generation = {"value": 1}
    rss = []
    lead = index == 0

    connector = aiohttp.TCPConnector(limit=0, force_close=False, keepalive_timeout=120)
    timeout = aiohttp.ClientTimeout(total=a.wait + 30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async with session.get(f"{a.base}/healthz") as r:
            generation["value"] = json.loads(await r.text())["generation"]
        t_start = time.perf_counter()
        tasks = [asyncio.create_task(poller(session, a.base, h, t, a.wait, stats, stop, generation))
                 for h, t in zip(hosts, tokens)]
        tasks.append(asyncio.create_task(
            poster(session, a.base, hosts, tokens, a.rate / a.procs, stats, stop, generation, 2000)))

        applied_done = False
        while time.perf_counter() - t_start < a.duration:
            await asyncio.sleep(min(5, max(0.1, a.duration - (time.perf_counter() - t_start))))
            elapsed = time.perf_counter() - t_start
            if lead:
                sample = {"t": round(elapsed, 1), "rss_kib": rss_kib(a.pid) if a.pid else None,
                          "fds": open_fds(a.pid) if a.pid else None,
                          "loadavg_1m": round(os.getloadavg()[0], 2)}
                rss.append(sample)
                print(json.dumps(sample), flush=True)
            if not applied_done and elapsed >= a.duration / 2:
                applied_done = True
                if lead and a.apply_cmd:
                    applied["start"] = time.perf_counter()
                    proc = await asyncio.create_subprocess_shell(a.apply_cmd)
                    if await proc.wait() != 0:
                        raise SystemExit("apply command failed")
                    applied["end"] = time.perf_counter()
        stop.set()
        wall = time.perf_counter() - t_start
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    queue.put({"lat": stats.lat, "count": {f"{k}|{s}": n for (k, s), n in stats.count.items()},
               "errors": stats.errors, "wake": stats.wake, "overshoot": stats.overshoot,
               "wall": wall, "rss": rss, "applied": applied})


def run_worker(a, index, queue):
    try:
        import uvloop  # optional: a faster event loop
        uvloop.install()
    except ImportError:
        pass
    asyncio.run(worker(a, index, queue))


def main():
    import multiprocessing as mp
    a = parse()
    queue = mp.Queue()
    procs = [mp.Process(target=run_worker, args=(a, i, queue)) for i in range(a.procs)]
    for p in procs:
        p.start()
    parts = [queue.get() for _ in procs]
    for p in procs:
        p.join()

    stats = Stats()
    wall = max(p["wall"] for p in parts)
    rss, applied = [], {}
    for part in parts:
        for kind, values in part["lat"].items():
            stats.lat.setdefault(kind, []).extend(values)
        for key, n in part["count"].items():
            kind, status = key.split("|")
            stats.count[(kind, int(status))] = stats.count.get((kind, int(status)), 0) + n
        for message, n in part["errors"].items():
            stats.errors[message] = stats.errors.get(message, 0) + n
        stats.wake.extend(part["wake"])
        stats.overshoot.extend(part["overshoot"])
        rss.extend(part["rss"])
        applied.update(part["applied"])

    summary = {"cpus": os.cpu_count(), "client_procs": a.procs, "duration_s": round(wall, 1),
               "hosts": a.hosts, "rate_target": a.rate, "wait_s": a.wait,
               "kinds": {}, "errors": stats.errors, "rss": rss}
    total = 0
    for kind, values in sorted(stats.lat.items()):
        n = len(values)
        total += n
        statuses = {str(s): c for (k, s), c in stats.count.items() if k == kind}
        summary["kinds"][kind] = {
            "count": n, "per_s": round(n / wall, 1), "statuses": statuses,
            "p50_ms": round(pct(values, 50) * 1000, 2), "p99_ms": round(pct(values, 99) * 1000, 2),
            "max_ms": round(max(values) * 1000, 2)}
    summary["requests_per_s"] = round(total / wall, 1)
    if stats.wake and "end" in applied:
        rel = [t - applied["start"] for t in stats.wake]
        summary["wake_after_apply"] = {
            "apply_command_s": round(applied["end"] - applied["start"], 2), "count": len(rel),
            "p50_ms_from_apply_start": round(pct(rel, 50) * 1000, 1),
            "p99_ms_from_apply_start": round(pct(rel, 99) * 1000, 1),
            "max_ms_from_apply_start": round(max(rel) * 1000, 1)}
    if stats.overshoot:
        summary["longpoll_304_held_beyond_wait"] = {"p50_ms": round(pct(stats.overshoot, 50) * 1000, 1),
                                                    "p99_ms": round(pct(stats.overshoot, 99) * 1000, 1)}
    print(json.dumps({k: v for k, v in summary.items() if k != "rss"}, indent=2))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
