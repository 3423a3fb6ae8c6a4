-- wrk script: POST /v1/decisions for distinct users with varied features, as the app would.
-- Usage: wrk -t2 -c64 -d30s --latency -s benchmarks/wrk/decisions.lua http://127.0.0.1:8080
local segments = { "new", "low_frequency", "medium_frequency", "high_frequency", "churned" }
local counter = 0

request = function()
  counter = counter + 1
  local body = string.format(
    '{"city":"demo","userId":"load-%d-%d","segment":"%s","features":{"rides_30d":%d,' ..
    '"days_since_first_ride":%d,"avg_fare":%.1f,"hour":%d}}',
    math.random(1, 1000000), counter, segments[(counter % 5) + 1], counter % 30, (counter * 37) % 2000,
    10 + (counter % 13), counter % 24)
  return wrk.format("POST", "/v1/decisions", { ["Content-Type"] = "application/json" }, body)
end

-- Any non-200 is a failure worth seeing in the summary.
local failures = 0
response = function(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
  end
end

done = function(summary, latency, requests)
  io.write(string.format("non-2xx or socket errors: %d\n", summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout))
  for _, p in pairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("p%s: %.0f us\n", p, latency:percentile(p)))
  end
end
