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
        self.wake = []     # seconds from the end of the apply command to a woken poll's 200
        self.overshoot = []  # long polls answered 304: seconds held beyond ?wait=

    def record(self, kind, status, seconds):
        self.count[(kind, status)] = self.count.get((kind, status), 0) + 1
        self.lat.setdefault(kind, []).append(seconds)

    def error(self, message):
        self.errors[message] = self.errors.get(message, 0) + 1


async def poller(session, base, host, token, wait, stats, stop, applied):
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
                    if kind == "orders-longpoll" and applied["at"] is not None:
                        stats.wake.append(time.perf_counter() - applied["at"])
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


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="http://127.0.0.1:9632")
    ap.add_argument("--tokens", required=True, help="file of HOST<TAB>TOKEN lines")
    ap.add_argument("--hosts", type=int, default=5000)
    ap.add_argument("--rate", type=float, default=1000, help="status posts per second")
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--wait", type=int, default=30)
    ap.add_argument("--pid", type=int, help="server pid for RSS sampling")
    ap.add_argument("--apply-cmd", help="shell command run at half time (a new generation)")
    ap.add_argument("--out")
    a = ap.parse_args()

    pairs = [line.rstrip("\n").split("\t") for line in open(a.tokens) if line.strip()][: a.hosts]
    hosts = [p[0] for p in pairs]
    tokens = [p[1] for p in pairs]
    stats = Stats()
    stop = asyncio.Event()
    applied = {"at": None}
    generation = {"value": 1}
    rss = []

    connector = aiohttp.TCPConnector(limit=0, force_close=False, keepalive_timeout=120)
    timeout = aiohttp.ClientTimeout(total=a.wait + 30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async with session.get(f"{a.base}/healthz") as r:
            generation["value"] = json.loads(await r.text())["generation"]
        t_start = time.perf_counter()
        tasks = [asyncio.create_task(poller(session, a.base, h, t, a.wait, stats, stop, applied))
                 for h, t in zip(hosts, tokens)]
        tasks.append(asyncio.create_task(poster(session, a.base, hosts, tokens, a.rate, stats, stop, generation, 2000)))

        applied_done = False
        while time.perf_counter() - t_start < a.duration:
            await asyncio.sleep(5)
            elapsed = time.perf_counter() - t_start
            sample = {"t": round(elapsed, 1), "rss_kib": rss_kib(a.pid) if a.pid else None,
                      "requests": sum(stats.count.values()), "errors": sum(stats.errors.values()),
                      "loadavg_1m": round(os.getloadavg()[0], 2)}
            rss.append(sample)
            print(json.dumps(sample), flush=True)
            if a.apply_cmd and not applied_done and elapsed >= a.duration / 2:
                applied_done = True
                t_apply = time.perf_counter()
                proc = await asyncio.create_subprocess_shell(a.apply_cmd)
                if await proc.wait() != 0:
                    raise SystemExit("apply command failed")
                applied["at"] = time.perf_counter()
                applied["took_s"] = round(applied["at"] - t_apply, 2)
                generation["value"] += 1
        stop.set()
        wall = time.perf_counter() - t_start
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    summary = {"cpus": os.cpu_count(), "duration_s": round(wall, 1), "hosts": len(hosts), "rate_target": a.rate, "wait_s": a.wait,
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
    if stats.wake:
        summary["wake_after_apply"] = {"apply_command_s": applied.get("took_s"), "count": len(stats.wake),
                                       "p50_ms": round(pct(stats.wake, 50) * 1000, 1),
                                       "p99_ms": round(pct(stats.wake, 99) * 1000, 1),
                                       "max_ms": round(max(stats.wake) * 1000, 1)}
    if stats.overshoot:
        summary["longpoll_304_held_beyond_wait"] = {"p50_ms": round(pct(stats.overshoot, 50) * 1000, 1),
                                                    "p99_ms": round(pct(stats.overshoot, 99) * 1000, 1)}
    print(json.dumps(summary, indent=2))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    asyncio.run(main())
