#!/usr/bin/env bash
# Where the service's CPU goes under saturating load: a real redis-server, the service with Java Flight Recorder
# sampling every millisecond, wrk for a minute, then the samples summed by their top frame and by package
# (what `jfr print` gives, without other tools). JFR samples Java code only: time in system calls shows up in
# `top -H`, which this script also prints once, mid-run, per thread.
#
#   benchmarks/http/profile.sh            # the recording stays in the printed directory for JDK Mission Control
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in java jfr wrk redis-server redis-cli; do
  command -v $tool >/dev/null 2>&1 || { echo "needs $tool (see benchmarks/http/run.sh)" >&2; exit 1; }
done
[ -f vertx-app/target/allot.jar ] || mvn -B -q -ntp -DskipTests package

work=$(mktemp -d /tmp/allot-profile.XXXXXX)
cat >"$work/sampling.jfc" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0">
  <event name="jdk.ExecutionSample"><setting name="enabled">true</setting><setting name="period">1 ms</setting></event>
  <event name="jdk.GarbageCollection"><setting name="enabled">true</setting><setting name="threshold">0 ms</setting></event>
</configuration>
EOF
redis-server --port 6394 --save '' --appendonly no --dir "$work" --daemonize yes --logfile "$work/redis.log"
REDIS_URL=redis://127.0.0.1:6394 java -XX:FlightRecorderOptions=stackdepth=256 \
  -XX:StartFlightRecording=delay=20s,duration=30s,filename="$work/service.jfr",settings="$work/sampling.jfc" \
  -jar vertx-app/target/allot.jar serve --port 8094 --data-dir "$work/data" >"$work/service.log" 2>&1 &
service=$!
trap 'kill $service 2>/dev/null || true; redis-cli -p 6394 shutdown nosave >/dev/null 2>&1 || true; wait $service 2>/dev/null || true; rm -rf "$work/data"' EXIT
sleep 8
wrk -t2 -c64 -d55s -s benchmarks/wrk/decisions.lua http://127.0.0.1:8094 >"$work/wrk.txt" &
sleep 30
echo "== CPU by thread, mid-run (top -H, 5 s)"
top -H -b -n 2 -d 5 -p "$service" | awk '/^top -/{n++} n==2' | sed -n 7,16p
echo "== processes"
top -b -n 2 -d 5 | awk '/^top -/{n++} n==2' | sed -n 7,11p
wait %2 2>/dev/null || true
sleep 3
grep -E 'Requests/sec' "$work/wrk.txt"
kill $service
wait $service 2>/dev/null || true

jfr print --events jdk.ExecutionSample "$work/service.jfr" >"$work/samples.txt"
summary() {
  awk -v depth="$1" '
    /stackTrace = \[/ { top = 1; next }
    top == 1 {
      frame = $1; sub(/\(.*/, "", frame)
      if (depth > 0) { n = split(frame, part, "."); frame = part[1]; for (i = 2; i <= depth && i <= n; i++) frame = frame "." part[i] }
      count[frame]++; total++; top = 0
    }
    END { for (f in count) printf "%5.1f%% %s\n", 100 * count[f] / total, f }' "$work/samples.txt" | sort -rn | awk -v n="$2" 'NR <= n'
}
echo "== Java samples by package (top frame)"
summary 3 15
echo "== Java samples by method (top frame)"
summary 0 25
echo "recording and samples in $work"
