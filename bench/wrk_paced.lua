-- wrk script for bench/worstbatch: each connection waits `interval` ms after each
-- answer (wrk ... -s wrk_paced.lua URL -- INTERVAL_MS), so C connections send at
-- most C * 1000 / INTERVAL_MS requests a second; counts 2xx and 429 answers.

-- wrk_json() from its neighbour wrk_report.lua
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk_report.lua")

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
  wrk_json(summary, latency, threads, { "ok", "limited", "other" })
end
