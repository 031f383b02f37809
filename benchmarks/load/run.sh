#!/usr/bin/env bash
# Load benchmark for `apiary serve`: 5,000 simulated hosts long-polling their orders plus
# 1,000 status posts per second on loopback, against one server process (release build).
#
#   benchmarks/load/run.sh            # short mode: 60 s
#   benchmarks/load/run.sh --long     # 10 minutes
#   HOSTS=2000 RATE=500 DURATION=120 benchmarks/load/run.sh
#   APIARY=/path/to/apiary benchmarks/load/run.sh   # skip the build, use this binary
#
#   CLIENT=python benchmarks/load/run.sh   # the Python client (loadgen.py) instead of load-client
#
# The default client is the Swift `load-client` (benchmarks/LoadClient, built here into
# benchmarks/.build-load unless LOAD_CLIENT=/path/to/load-client is given): one event loop
# thread, so it takes little CPU from the server on a small machine. The Python client needs
# aiohttp (installed into benchmarks/load/.venv on first run, from PyPI).
# SERVER_ENV='MALLOC_ARENA_MAX=8' passes environment variables to the server.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
HOSTS=${HOSTS:-5000}
RATE=${RATE:-1000}
DURATION=${DURATION:-60}
WAIT=${WAIT:-30}
PORT=${PORT:-19632}
if [[ "${1:-}" == "--long" ]]; then DURATION=600; fi
WORK=$(mktemp -d /tmp/apiary-load.XXXXXX)
SCRATCH=${SCRATCH:-.build-srv-release}
RESULTS="$ROOT/benchmarks/load/results"
mkdir -p "$RESULTS"

CLIENT=${CLIENT:-swift}
VENV="$ROOT/benchmarks/load/.venv"
if [[ "$CLIENT" == python && ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet 'aiohttp>=3.9' 'uvloop>=0.19'
fi
if [[ "$CLIENT" == swift && -z "${LOAD_CLIENT:-}" ]]; then
    echo "== building load-client (release, scratch benchmarks/.build-load)"
    (cd benchmarks && swift build -c release --scratch-path .build-load --product load-client 2>&1 | tail -1)
    LOAD_CLIENT="$ROOT/benchmarks/.build-load/release/load-client"
fi

if [[ -z "${APIARY:-}" ]]; then
    echo "== building apiary (release, scratch $SCRATCH)"
    swift build -c release --scratch-path "$SCRATCH" --product apiary 2>&1 | tail -1
    APIARY="$ROOT/$SCRATCH/release/apiary"
fi
echo "== binary: $APIARY"

echo "== store: $HOSTS hosts, one plan, $HOSTS host tokens"
python3 benchmarks/load/make_plan.py "$HOSTS" "$WORK/plan1.json" d
python3 benchmarks/load/make_plan.py "$HOSTS" "$WORK/plan2.json" e
"$APIARY" apply "$WORK/plan1.json" --db "$WORK/load.db" >/dev/null
HOSTARGS=()
for ((i = 0; i < HOSTS; i++)); do HOSTARGS+=(--host "$(printf 'host-%05d' "$i")"); done
"$APIARY" token issue "${HOSTARGS[@]}" --db "$WORK/load.db" >"$WORK/tokens.tsv" 2>/dev/null

ulimit -n 65536 2>/dev/null || true  # the server and the client each hold > 5,000 sockets
env ${SERVER_ENV:-} "$APIARY" serve --db "$WORK/load.db" --listen "127.0.0.1:$PORT" --log-level warning >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
echo "== server pid $SERVER, RSS at start $(grep VmRSS /proc/$SERVER/status | awk '{print $2}') KiB"

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
echo "== load: $HOSTS pollers (wait=$WAIT s), $RATE status posts/s, $DURATION s; a new generation at half time"
echo "== client: $CLIENT; load average before: $(cut -d' ' -f1-3 /proc/loadavg); server env: ${SERVER_ENV:-(none)}"
if [[ "$CLIENT" == swift ]]; then
    LOADGEN=("$LOAD_CLIENT")
else
    LOADGEN=("$VENV/bin/python" benchmarks/load/loadgen.py --procs "${PROCS:-2}")
fi
"${LOADGEN[@]}" --base "http://127.0.0.1:$PORT" --tokens "$WORK/tokens.tsv" \
    --hosts "$HOSTS" --rate "$RATE" --duration "$DURATION" --wait "$WAIT" --pid "$SERVER" \
    --apply-cmd "'$APIARY' apply '$WORK/plan2.json' --db '$WORK/load.db' --force >/dev/null" \
    --out "$RESULTS/load-$STAMP.json"
echo "== server CPU time: $(ps -o times= -p $SERVER) s over the run; load average now: $(cut -d' ' -f1-3 /proc/loadavg); metrics excerpt:"
curl -s "http://127.0.0.1:$PORT/metrics" >"$RESULTS/metrics-$STAMP.txt"
grep -E '^apiary_(generation|hosts_|long_polls)' "$RESULTS/metrics-$STAMP.txt" || true
echo "== server-side latency (from its histogram; excludes client queueing):"
python3 benchmarks/load/server_latency.py "$RESULTS/metrics-$STAMP.txt"
kill -TERM $SERVER; wait $SERVER || true
echo "== results in $RESULTS/load-$STAMP.json; work dir $WORK"
