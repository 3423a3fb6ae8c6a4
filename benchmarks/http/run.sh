#!/usr/bin/env bash
# The HTTP load harness: a real redis-server, the service, and a bare Vert.x echo of the same request and
# response, on this machine. In one run:
#   (a) saturation throughput of the service and the echo with wrk, alternated, two rounds each;
#   (b) an open-loop sweep of the service at 25%, 50% and 75% of its own saturation rate, latency measured from
#       each request's intended send time (OpenLoop: HdrHistogram, no coordinated omission), and of the echo at
#       the same rates (the generator's own floor on these cores);
#   (c) with SOAK_MINUTES > 0, a soak at 50% (or the rate this machine's memory holds for Redis) recording heap
#       after GC (from the service's GC log), RSS, threads and Redis memory every 30 s.
# First it prints how late this machine wakes a sleeping thread while idle: the floor under every latency after.
# It checks that every decision the service answered was counted once (the days' totals in Redis against its own
# counter) and reports Redis CPU per decision.
#
#   benchmarks/http/run.sh                 # about 9 minutes
#   SOAK_MINUTES=10 benchmarks/http/run.sh # and a ten-minute soak
#
# Needs java, wrk, redis-server, curl and bc; installs what is missing from Debian when run as root, else says how.
# Knobs: SAT_SECONDS (15), SAT_ROUNDS (2), WARMUP_SECONDS (the service's, 30), OPEN_SECONDS (30), CONNECTIONS (64),
# WRK_THREADS (2), SERVICE_JAVA_OPTS (the service's JVM flags, e.g. a collector to compare), GRANTS_VIEW (below);
# ports 6390, 8090 and 8091.
#
# The grants view (`serve --grants-view`) holds the coupons a replica's fleet granted in the last week, so a decision
# needs no Redis round trip for the user's coupon count; a deployment sizes it to a week's coupons (docs/scaling.md).
# This load makes every arrival a new user, three in four of them granted, at up to 35,000 a second: the service's
# default (2^21 coupons, a week of a city granting 300,000 a day) fills within two minutes of it, and from then on a
# growing share of decisions (a third to a half a few minutes later) waits on Redis's ZCOUNT. GRANTS_VIEW (2^24,
# about 350 MB of heap) holds every coupon of a run with a ten-minute soak (about 9 million);
# GRANTS_VIEW=2097152 measures the default overflowing. Each phase prints the counts the view left to Redis.
set -euo pipefail
cd "$(dirname "$0")/../.."

SAT_SECONDS=${SAT_SECONDS:-15}
SAT_ROUNDS=${SAT_ROUNDS:-2}
WARMUP_SECONDS=${WARMUP_SECONDS:-30}
OPEN_SECONDS=${OPEN_SECONDS:-30}
SOAK_MINUTES=${SOAK_MINUTES:-0}
GRANTS_VIEW=${GRANTS_VIEW:-16777216}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
REDIS_PORT=6390
SERVICE_PORT=8090
ECHO_PORT=8091
TOKEN=bench-$$

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing $2 from Debian"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null
    else
      echo "this harness needs $1: apt-get install $2 (as root)" >&2
      exit 1
    fi
  fi
}
need java openjdk-17-jdk-headless
need wrk wrk
need redis-server redis-server
need curl curl
need bc bc
if [ ! -f vertx-app/target/allot.jar ] || [ ! -f benchmarks/target/benchmarks.jar ]; then
  command -v mvn >/dev/null 2>&1 || need mvn maven
  mvn -B -q -ntp -DskipTests package
fi

# The machine's own floor, before anything of the harness runs: how late a 200 us sleep wakes. A virtual machine's
# cores are scheduled by its host too, and no server's tail on it reads below this.
echo "== this machine, idle: $(java -cp benchmarks/target/benchmarks.jar dev.allot.bench.http.WakeUpJitter 10)"

work=$(mktemp -d /tmp/allot-http.XXXXXX)
: >"$work/days"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  redis-cli -p $REDIS_PORT shutdown nosave >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  # The service's journal (about a gigabyte after a run with a soak): the logs stay, the data goes.
  rm -rf "$work/data"
}
trap cleanup EXIT

# Redis records every command or event of 20 ms or more (LATENCY LATEST): a stall there holds every request that
# needs Redis, and the write-behind's batches.
redis-server --port $REDIS_PORT --save '' --appendonly no --dir "$work" --daemonize yes --logfile "$work/redis.log" \
  --latency-monitor-threshold 20
ALLOT_ADMIN_TOKEN=$TOKEN REDIS_URL=redis://127.0.0.1:$REDIS_PORT \
  java -XX:+ExitOnOutOfMemoryError ${SERVICE_JAVA_OPTS:-} -Xlog:gc:file="$work/gc.log" -jar vertx-app/target/allot.jar serve --port $SERVICE_PORT \
  --data-dir "$work/data" --grants-view "$GRANTS_VIEW" >"$work/service.log" 2>&1 &
service_pid=$!
pids+=("$service_pid")
java -cp benchmarks/target/benchmarks.jar dev.allot.bench.http.EchoServer $ECHO_PORT 2 >"$work/echo.log" 2>&1 &
pids+=("$!")

for port in $SERVICE_PORT $ECHO_PORT; do
  for _ in $(seq 1 300); do
    if curl -sf -o /dev/null -X POST "localhost:$port/v1/decisions" -H 'content-type: application/json' \
         -d '{"city":"demo","userId":"ready","features":{"rides_30d":1}}'; then
      break
    fi
    sleep 0.1
  done
done

# Decisions counted in Redis, summed over every day of the city this run has seen: a run may cross the city's day
# boundary (04:00 in Shanghai, 20:00 UTC), where the count of the day starts again from zero.
decisions() {
  local day total=0
  day=$(curl -sf -H "Authorization: Bearer $TOKEN" localhost:$SERVICE_PORT/v1/cities/demo/state \
    | grep -o '"day":"[^"]*"' | head -1 | cut -d'"' -f4)
  [ -n "$day" ] && echo "$day" >>"$work/days"
  for day in $(sort -u "$work/days"); do
    total=$(redis-cli -p $REDIS_PORT hget "allot:{demo}:totals:$day" decisions \
      | awk -v t="$total" '{t += $1} END {printf "%d", t}')
  done
  echo "$total"
}
pending() {
  curl -sf -H "Authorization: Bearer $TOKEN" localhost:$SERVICE_PORT/v1/cities/demo/state \
    | sed -E 's/.*"pendingWrites":([0-9]+).*/\1/'
}
settled_decisions() {
  for _ in $(seq 1 100); do
    [ "$(pending)" = "0" ] && break
    sleep 0.1
  done
  sleep 0.5
  decisions
}
# Decisions this replica answered (its own counter, in-flight requests wrk gave up on included).
answered_total() {
  curl -sf localhost:$SERVICE_PORT/metrics | awk '/^allot_decisions_total\{/ {s += $NF} END {printf "%d", s}'
}
# Coupon counts the grants view could not give (not current, or the user possibly forgotten): asked of Redis.
counts_from_redis() {
  curl -sf localhost:$SERVICE_PORT/metrics | awk '/^allot_history_counts_total\{.*source="redis"/ {s += $NF} END {printf "%d", s}'
}
# The service's own histogram of a decision's time inside it (from the handler's start to the answer's bytes:
# allot_decision_latency_seconds), saved to a file; latency_inside FILE prints the percentiles since (bucket bounds).
latency_buckets() {
  curl -sf localhost:$SERVICE_PORT/metrics | grep -E '^allot_decision_latency_seconds_bucket' \
    | sed -E 's/.*le="([^"]*)"\} /\1 /' >"$1"
}
latency_inside() {
  latency_buckets "$1.after"
  paste "$1" "$1.after" | awk '$1 != "+Inf" {le[++n] = $1; c[n] = $4 - $2} $1 == "+Inf" {total = $4 - $2}
    END {
      split("50 90 99 99.9", ps, " ")
      for (i = 1; i <= 4; i++) for (k = 1; k <= n; k++) if (c[k] >= total * ps[i] / 100) {
        printf "p%s <= %.0f us  ", ps[i], le[k] * 1e6; break
      }
    }'
}
# Redis's stalls of 20 ms or more since the last call: by event, the seconds that had one and the worst (ms).
redis_stalls() {
  local out="" event worst seconds
  while read -r event _ _ worst; do
    [ -n "$event" ] || continue
    seconds=$(( $(redis-cli -p $REDIS_PORT latency history "$event" | wc -l) / 2 ))
    out="$out$event: $seconds s with one, worst $worst ms; "
  done < <(redis-cli -p $REDIS_PORT latency latest | paste -d' ' - - - -)
  redis-cli -p $REDIS_PORT latency reset >/dev/null
  echo "${out:-none}"
}
redis_cpu() {
  redis-cli -p $REDIS_PORT info cpu | awk -F: '/^used_cpu_(sys|user):/ {s += $2} END {printf "%.3f", s}'
}

# One wrk run against a port: prints "rate p50_us p99_us requests errors".
wrk_run() {
  local out
  out=$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${2}s" --latency -s benchmarks/wrk/decisions.lua \
        "http://127.0.0.1:$1")
  echo "$out" >>"$work/wrk.log"
  local rate p50 p99 requests errors
  rate=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '/^p50:/ {print $2}' <<<"$out")
  p99=$(awk '/^p99:/ {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  errors=$(awk '/^non-2xx or socket errors:/ {print $5}' <<<"$out")
  echo "$rate $p50 $p99 $requests $errors"
}

# The service has far more code for the JIT to compile (rules, model, Redis client) than the echo, on two cores
# shared with everything else: measured from cold, its rate kept rising for about half a minute. A longer warm-up
# lets the compiler finish (it still took 4-8 us of CPU a decision 35-45 s in) but grows Redis before the measured
# rounds, which costs as much (docs/benchmarks.md).
echo "== warm-up (service ${WARMUP_SECONDS}s, echo 10 s, not recorded)"
wrk_run $SERVICE_PORT "$WARMUP_SECONDS" >/dev/null
wrk_run $ECHO_PORT 10 >/dev/null

echo "== saturation: wrk -t$WRK_THREADS -c$CONNECTIONS -d${SAT_SECONDS}s, service and echo alternated"
printf '%-8s %-6s %12s %10s %10s %10s\n' target round requests/s p50_ms p99_ms errors
service_rates=()
echo_rates=()
before=$(settled_decisions)
answered_before=$(answered_total)
from_redis_before=$(counts_from_redis)
redis-cli -p $REDIS_PORT latency reset >/dev/null
cpu_before=$(redis_cpu)
for round in $(seq 1 "$SAT_ROUNDS"); do
  for target in service echo; do
    port=$SERVICE_PORT
    [ $target = echo ] && port=$ECHO_PORT
    read -r rate p50 p99 requests errors <<<"$(wrk_run $port "$SAT_SECONDS")"
    printf '%-8s %-6s %12.0f %10.2f %10.2f %10s\n' $target $round "$rate" "$(bc -l <<<"$p50/1000")" \
      "$(bc -l <<<"$p99/1000")" "$errors"
    if [ $target = service ]; then
      service_rates+=("$rate")
    else
      echo_rates+=("$rate")
    fi
  done
done
after=$(settled_decisions)
cpu_after=$(redis_cpu)
answered=$(( $(answered_total) - answered_before ))
service_rate=$(printf '%s\n' "${service_rates[@]}" | sort -g | tail -1)
echo_rate=$(printf '%s\n' "${echo_rates[@]}" | sort -g | tail -1)
printf 'best of %d: service %.0f/s, echo %.0f/s: the service does %.1f%% of the echo\n' "$SAT_ROUNDS" "$service_rate" \
  "$echo_rate" "$(bc -l <<<"100*$service_rate/$echo_rate")"
counted=$((after - before))
echo "counted once: the service answered $answered decisions, the day's total in Redis rose by $counted"
printf 'Redis CPU per decision: %.1f us (used_cpu_sys+user over the service runs)\n' \
  "$(bc -l <<<"($cpu_after-$cpu_before)*1000000/$counted")"
echo "coupon counts asked of Redis (the grants view could not tell): $(( $(counts_from_redis) - from_redis_before ))"
echo "Redis stalls of 20 ms or more: $(redis_stalls)"
redis-cli -p $REDIS_PORT info commandstats | grep -E 'cmdstat_(evalsha|eval|hset|xadd|zadd|zcount|get|set|hgetall|hincrbyfloat|expire|zremrangebyscore):' \
  | sed 's/^/  /' || true
if [ "$counted" != "$answered" ]; then
  echo "MISMATCH: decisions answered and counted differ" >&2
  exit 1
fi

# The echo at the same rates is the floor: what the generator, a JVM on the same two cores, measures when the
# server does next to nothing.
echo "== open loop: the service (and the echo) at 25%, 50% and 75% of the service's saturation rate, ${OPEN_SECONDS}s each"
from_redis_before=$(counts_from_redis)
for share in 25 50 75; do
  rate=$(bc <<<"$service_rate*$share/100")
  for target in service echo; do
    port=$SERVICE_PORT
    [ $target = echo ] && port=$ECHO_PORT
    # Each second's percentiles go to open.log: they show whether a tail is spread out or one stall. The warm-up
    # is 30 s: the generator is a fresh JVM each time, and beside a busy service its own JIT took 10–15 s to
    # catch up with the rate (the first seconds' latencies climbed to seconds, then drained).
    latency_buckets "$work/inside"
    java -Dopenloop.seconds=true -cp benchmarks/target/benchmarks.jar dev.allot.bench.http.OpenLoop \
      "http://127.0.0.1:$port" "$rate" "$OPEN_SECONDS" "$CONNECTIONS" 30 | tee -a "$work/open.log" | grep RESULT \
      | sed "s/^/$share% $target /"
    if [ $target = service ]; then
      # What of that latency the decision spent inside the service; the rest is the network stack and waiting for
      # a core.
      echo "   inside the service (warm-up included): $(latency_inside "$work/inside")"
      echo "   Redis stalls of 20 ms or more (warm-up included): $(redis_stalls)"
      from_redis=$(counts_from_redis)
      echo "   coupon counts asked of Redis (warm-up included): $((from_redis - from_redis_before))"
      from_redis_before=$from_redis
    else
      redis-cli -p $REDIS_PORT latency reset >/dev/null
    fi
  done
done

if [ "$SOAK_MINUTES" -gt 0 ]; then
  rate=$(bc <<<"$service_rate/2")
  # Redis keeps every decision for its retention (8 days), about 1.6 KB each: on a machine whose memory cannot hold
  # the soak at 50% (a 24 GB one at 16,000/s for 10 minutes), the soak runs at the rate it can hold, 4 GB spare.
  fits=$(awk -v s=$((SOAK_MINUTES * 60)) '/^MemAvailable:/ {printf "%d", ($2 - 4 * 1024 * 1024) / 2 / s}' /proc/meminfo)
  share="50%"
  if [ "$fits" -lt "$rate" ]; then
    rate=$fits
    share="capped from 50% by this machine's memory"
  fi
  echo "== soak: $rate/s ($share) for $SOAK_MINUTES minutes; a sample every 30 s"
  java -Dopenloop.seconds=true -cp benchmarks/target/benchmarks.jar dev.allot.bench.http.OpenLoop \
    "http://127.0.0.1:$SERVICE_PORT" "$rate" $((SOAK_MINUTES * 60)) "$CONNECTIONS" 30 >"$work/soak.log" 2>&1 &
  soak=$!
  pids+=("$soak")
  printf '%-6s %14s %10s %8s %14s %12s\n' minute heap_after_gc rss threads redis_memory decisions
  for i in $(seq 1 $((SOAK_MINUTES * 2))); do
    sleep 30
    # The heap as the last collection left it (from the GC log): what the service holds, read without forcing a
    # collection, which would stall the requests the soak is timing.
    heap=$(grep -oE '[0-9]+M->[0-9]+M' "$work/gc.log" | tail -1 | sed -E 's/.*->//')
    rss=$(awk '/^VmRSS:/ {printf "%d MB", $2/1024}' /proc/"$service_pid"/status)
    threads=$(awk '/^Threads:/ {print $2}' /proc/"$service_pid"/status)
    mem=$(redis-cli -p $REDIS_PORT info memory | awk -F: '/^used_memory_human:/ {gsub("\r", "", $2); print $2}')
    printf '%-6s %14s %10s %8s %14s %12s\n' "$(bc <<<"scale=1; $i/2")" "$heap" "$rss" "$threads" "$mem" "$(decisions)"
  done
  wait "$soak" || true
  grep RESULT "$work/soak.log" | sed 's/^/soak /'
  echo "coupon counts asked of Redis (warm-up included): $(( $(counts_from_redis) - from_redis_before ))"
  echo "Redis stalls of 20 ms or more (warm-up included): $(redis_stalls)"
fi
echo "logs in $work"
