#!/usr/bin/env python3
"""Check `apiary serve`'s sd_notify messages without systemd: bind a NOTIFY_SOCKET, start the
server with WATCHDOG_USEC=1s, and print what it sends (READY=1, STATUS=, WATCHDOG=1 every
0.5 s, STOPPING=1 on SIGTERM).

usage: contrib/check-sd-notify.py APIARY_BINARY DB
"""
import os, socket, subprocess, sys, tempfile, time, signal
path = os.path.join(tempfile.mkdtemp(), "notify.sock")
try: os.unlink(path)
except FileNotFoundError: pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(path); s.settimeout(0.2)
env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="1000000")
p = subprocess.Popen([sys.argv[1], "serve", "--db", sys.argv[2], "--listen", "127.0.0.1:0"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
msgs = []; t0 = time.time()
while time.time() - t0 < 4:
    try: msgs.append(s.recv(4096).decode())
    except socket.timeout: pass
p.send_signal(signal.SIGTERM)
t1 = time.time()
while time.time() - t1 < 2:
    try: msgs.append(s.recv(4096).decode())
    except socket.timeout: pass
print("exit", p.wait())
from collections import Counter
print(Counter(m.split("\n")[0] for m in msgs))
print([m for m in msgs if "WATCHDOG" not in m])
