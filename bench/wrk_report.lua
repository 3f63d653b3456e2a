-- wrk script for bench/api and the rotation test: prints one machine-readable line
-- when the run ends (latency in microseconds). Errors: socket errors and statuses
-- > 399. bench's other wrk scripts load this file for wrk_json().

-- The WRKJSON line: wrk's summary and latency, then each global named in counters
-- summed over threads (wrk thread objects).
function wrk_json(summary, latency, threads, counters)
  local e = summary.errors
  local line = string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean)
  for _, name in ipairs(counters or {}) do
    local sum = 0
    for _, t in ipairs(threads) do sum = sum + t:get(name) end
    line = line .. string.format(',"%s":%d', name, sum)
  end
  io.write('WRKJSON ' .. line .. '}\n')
end

done = function(summary, latency, requests)
  wrk_json(summary, latency)
end
