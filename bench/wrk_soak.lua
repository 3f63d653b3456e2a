-- wrk script for bench/soak: each thread stops after its share of the total
-- (wrk ... -s wrk_soak.lua URL -- TOTAL THREADS) and counts answers that are not 2xx.

-- wrk_json() from its neighbour wrk_report.lua
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk_report.lua")

local threads = {}
local next_id = 1

setup = function(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- globals, so that done() can read them with thread:get()
share, answered, non2xx = 0, 0, 0

init = function(args)
  local total, n = tonumber(args[1]), tonumber(args[2])
  share = math.floor(total / n)
  if id <= total % n then share = share + 1 end
end

response = function(status, headers, body)
  answered = answered + 1
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  if answered == share then
    -- wrk's main thread sleeps for -d whatever its threads do: tell bench/soak.py,
    -- which sends wrk SIGINT once every thread has said so
    io.stderr:write("SOAKDONE " .. id .. "\n")
    io.stderr:flush()
    wrk.thread:stop()
  end
end

done = function(summary, latency, requests)
  wrk_json(summary, latency, threads, { "answered", "non2xx" })
end
