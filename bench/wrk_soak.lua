-- wrk script for bench/soak: each thread stops after its share of the total
-- (wrk ... -s wrk_soak.lua URL -- TOTAL THREADS) and counts answers that are not 2xx.
local threads = {}
local next_id = 1

setup = function(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- globals, so that done() can read them with thread:get()
share, count, non2xx = 0, 0, 0

init = function(args)
  local total, n = tonumber(args[1]), tonumber(args[2])
  share = math.floor(total / n)
  if id <= total % n then share = share + 1 end
end

response = function(status, headers, body)
  count = count + 1
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  if count == share then
    -- wrk's main thread sleeps for -d whatever its threads do: tell bench/soak.py,
    -- which sends wrk SIGINT once every thread has said so
    io.stderr:write("SOAKDONE " .. id .. "\n")
    io.stderr:flush()
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests)
  local bad, answered = 0, 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("non2xx")
    answered = answered + t:get("count")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"answered":%d,"duration_us":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"non2xx":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, answered, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, bad, latency:percentile(50), latency:percentile(99), latency.max))
end
