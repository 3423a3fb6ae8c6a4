#!/usr/bin/env bash
# Where a saturated service's CPU goes, per process and per thread, user and system time from /proc: a real
# redis-server, the service, wrk for 30 s of warm-up and 20 s measured, of which 10 s are sampled. Divide a line's
# milliseconds by the decisions of those 10 s (printed) for its CPU a decision. With RATE set, the measured load is
# OpenLoop at that many decisions a second (30 s of warm-up, 30 s measured, 10 s sampled) instead of wrk.
#
#   benchmarks/http/cpu-split.sh [JAR] [JVM options...]     # JAR: vertx-app/target/allot.jar by default
#   RATE=10000 benchmarks/http/cpu-split.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in java wrk redis-server redis-cli curl vmstat; do
  command -v $tool >/dev/null 2>&1 || { echo "needs $tool (see benchmarks/http/run.sh)" >&2; exit 1; }
done
jar=${1:-vertx-app/target/allot.jar}
shift || true
[ -f "$jar" ] && [ -f benchmarks/target/benchmarks.jar ] || mvn -B -q -ntp -DskipTests package
port=8095
redis_port=6395
work=$(mktemp -d /tmp/allot-cpu.XXXXXX)
redis-server --port $redis_port --save '' --appendonly no --dir "$work" --daemonize yes --logfile "$work/redis.log"
REDIS_URL=redis://127.0.0.1:$redis_port java "$@" -jar "$jar" serve --port $port --data-dir "$work/data" \
  >"$work/service.log" 2>&1 &
service=$!
trap 'kill $service 2>/dev/null || true; redis-cli -p $redis_port shutdown nosave >/dev/null 2>&1 || true; wait $service 2>/dev/null || true; rm -rf "$work/data"' EXIT
until curl -sf -o /dev/null localhost:$port/health/ready; do sleep 0.2; done
url=http://127.0.0.1:$port
wrk -t2 -c64 -d30s -s benchmarks/wrk/decisions.lua $url >/dev/null
if [ -n "${RATE:-}" ]; then
  # A fixed rate instead: per-decision CPU then does not move with the rate a saturated run happens to reach.
  java -cp benchmarks/target/benchmarks.jar dev.allot.bench.http.OpenLoop $url "$RATE" 30 64 30 >"$work/load.txt" 2>&1 &
  load=$!
  sleep 36
  generator=$(pgrep -f "http.OpenLoop $url")
  phase="$RATE decisions/s (open loop)"
else
  wrk -t2 -c64 -d20s -s benchmarks/wrk/decisions.lua $url >"$work/load.txt" &
  load=$!
  sleep 4
  generator=$(pgrep -x wrk)
  phase="saturation"
fi
redis=$(pgrep -f "redis-server.*:$redis_port")
decisions() { curl -s localhost:$port/metrics | awk '/^allot_decisions_total/ {s += $2} END {printf "%d", s}'; }
# utime and stime, counted after the command name's closing parenthesis: a thread's name may hold spaces.
times() { sed 's/.*) //' "$1" | awk '{print $12, $13}'; }
declare -A user system
files=(/proc/$service/stat /proc/$redis/stat /proc/$generator/stat /proc/$service/task/*/stat)
for f in "${files[@]}"; do read -r user[$f] system[$f] < <(times "$f"); done
before=$(decisions)
vmstat 10 2 | tail -1 >"$work/vmstat.txt"
after=$(decisions)
tick=$(getconf CLK_TCK)
echo "== 10 s at $phase: $((after - before)) decisions; CPU in ms (user, system)"
for f in "${files[@]}"; do
  [ -e "$f" ] || continue
  read -r u s < <(times "$f")
  du=$(( (u - ${user[$f]}) * 1000 / tick )); ds=$(( (s - ${system[$f]}) * 1000 / tick ))
  name=$(tr ' ' _ <"${f%stat}comm")
  [ $((du + ds)) -ge 50 ] && printf "%-18s %6d %6d\n" "$name" $du $ds
done
echo "vmstat: user, system, idle % $(awk '{print $13, $14, $15}' "$work/vmstat.txt")"
wait $load
grep -E 'Requests/sec|RESULT' "$work/load.txt"
