-- wrk script of the benchmarks (bench/lib/wrk.ts runs it with one connection per thread, so each
-- thread's answers come back in the order of its requests).
--
-- Arguments (after wrk's `--`): template file ("" = send wrk's own request as given on the command
-- line), ad ids file ("" = none), folder for the ids answered 2xx ("" = none), run base number,
-- method, "status" (or "") for a run whose answers' bodies the script need not see.
-- A template's placeholders: __ID__ (a number no other request of the run uses: each thread has
-- its own range), __AD__ (an ad id of the loaded directory, chosen by the id), __TS__ (unix time).
-- done() prints one line `WRK {json}` with the counts and latency percentiles (microseconds).
--
-- With "status" the script defines no response() for the run: wrk then hands it no answer at all
-- (with response() defined, wrk copies every body into a Lua string: ~165 µs of wrk's CPU per
-- 146 kB answer against ~40 µs for a bare read's, on the cores the measured stack shares), and
-- non2xx is wrk's own count of answers with a status above 399 (a 1xx or 3xx is not counted: use
-- it only for requests that carry no validators, to routes that never redirect).

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local template, ads, okfile
local base, n, last = 0, 0, nil
non2xx = 0
status_only = false

local function read_lines(path)
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then out[#out + 1] = line end
  end
  return out
end

function init(args)
  if args[1] and args[1] ~= "" then
    local f = assert(io.open(args[1], "rb"))
    template = f:read("*a")
    f:close()
  end
  if args[2] and args[2] ~= "" then ads = read_lines(args[2]) end
  if args[3] and args[3] ~= "" then
    okfile = assert(io.open(args[3] .. "/ok-" .. tid .. ".txt", "w"))
    okfile:setvbuf("line")
  end
  base = tonumber(args[4] or "0") + tid * 10000000
  if args[5] and args[5] ~= "" then wrk.method = args[5] end
  if args[6] == "status" then
    assert(not okfile, "a run that collects the ids answered 2xx needs response()")
    status_only = true
    response = nil -- wrk asks each thread after init() whether it wants answers
  end
end

function request()
  if not template then return wrk.request() end
  n = n + 1
  last = base + n
  local ad = ads and ads[(last % #ads) + 1] or ""
  local body = template:gsub("__ID__", tostring(last)):gsub("__AD__", ad)
    :gsub("__TS__", tostring(os.time()))
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    if okfile and last then okfile:write(last, "\n") end
  else
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  local e = summary.errors
  if threads[1] and threads[1]:get("status_only") then
    bad = e.status -- every thread of a run has the same arguments
  else
    for _, t in ipairs(threads) do bad = bad + (t:get("non2xx") or 0) end
  end
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,"timeouts":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, bad, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
