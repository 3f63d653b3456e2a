-- wrk script for bench/worstbatch: each connection waits `interval` ms after each
-- answer (wrk ... -s wrk_paced.lua URL -- INTERVAL_MS), so C connections send at
-- most C * 1000 / INTERVAL_MS requests a second; counts 2xx and 429 answers.
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

interval, ok, limited, other = 0, 0, 0, 0

init = function(args)
  interval = tonumber(args[1])
end

delay = function()
  return interval
end

response = function(status, headers, body)
  if status >= 200 and status <= 299 then ok = ok + 1
  elseif status == 429 then limited = limited + 1
  else other = other + 1 end
end

done = function(summary, latency, requests)
  local n2xx, n429, nother = 0, 0, 0
  for _, t in ipairs(threads) do
    n2xx = n2xx + t:get("ok")
    n429 = n429 + t:get("limited")
    nother = nother + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"ok":%d,"limited":%d,"other":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, n2xx, n429, nother, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
