-- Shared by the wrk scripts of ops/bench/run.sh: keeps the threads, and at the end prints one line
--   RESULT <requests> <errors> <p50 ms> <p99 ms> <requests/s> <ops> <ops/s> <late>
-- where errors are non-2xx/3xx answers plus socket errors (plus the thread global `bad`, answers a
-- script judged wrong, e.g. an inactive introspection of a token that should be active, and the
-- thread global `late`, requests a script gave up waiting for: once.lua's deadline), late is that
-- last count alone, and ops
-- are the workload's units of work (a script that counts them sets the thread global `ops`; else
-- every good answer is one). A script that works through a fixed list (once.lua) sets the thread
-- globals `t0` and `t_end` (ns): the rates are then over the time from the first thread's start to
-- the first thread that ran out of work, when it stopped wrk.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Wall-clock nanoseconds (wrk's Lua has no clock of its own finer than a second): clock_gettime
-- through LuaJIT's FFI, cheap enough for every answer; date(1) where there is no FFI.
local has_ffi, ffi = pcall(require, "ffi")
if has_ffi then
  pcall(ffi.cdef, "typedef struct { long tv_sec; long tv_nsec; } bench_timespec;"
    .. " int clock_gettime(int clock, bench_timespec *tp);")
  local ts = ffi.new("bench_timespec")
  function now_ns()
    ffi.C.clock_gettime(0, ts) -- CLOCK_REALTIME: the same clock in every thread
    return tonumber(ts.tv_sec) * 1e9 + tonumber(ts.tv_nsec)
  end
else
  function now_ns()
    local p = io.popen("date +%s%N")
    local t = tonumber(p:read("*l"))
    p:close()
    return t
  end
end

-- Ends the whole wrk run now: its main thread sleeps for -d seconds unless a SIGINT interrupts it.
-- Through popen, not os.execute: system() ignores SIGINT in the whole process while it waits.
-- A signal sent to the process may be taken by one of wrk's worker threads: its handler stops the
-- threads, but the main thread sleeps on until -d (seen at 21:52 on 2026-12-07: a warm-up of 20,000
-- introspections answered in 6 s and held its round for 600 s, every connection in CLOSE-WAIT). So
-- the signal is repeated each second, in the background, until wrk is gone (at most 15 times): one
-- more SIGINT after the first only sets wrk's stop flag again.
function stop_wrk()
  local p = io.popen("(kill -INT $PPID; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do"
    .. " sleep 1; kill -INT $PPID 2>/dev/null || exit 0; done) </dev/null >/dev/null 2>&1 &")
  p:close()
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.status + e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  local ops = 0
  local counted = false
  local late = 0
  local t0, t_end
  for _, t in ipairs(threads) do
    local n = t:get("ops")
    if n ~= nil then
      ops = ops + n
      counted = true
    end
    local b = t:get("bad")
    if b ~= nil then
      errors = errors + b
    end
    local l = t:get("late")
    if l ~= nil then
      errors = errors + l
      late = late + l
    end
    local s, f = t:get("t0"), t:get("t_end")
    if s ~= nil and (t0 == nil or s < t0) then
      t0 = s
    end
    if f ~= nil and (t_end == nil or f < t_end) then
      t_end = f
    end
  end
  if not counted then
    ops = summary.requests - errors
  end
  if t0 ~= nil and t_end ~= nil and t_end > t0 then
    seconds = (t_end - t0) / 1e9
  end
  io.write(string.format("RESULT %d %d %.2f %.2f %.1f %d %.1f %d\n", summary.requests, errors,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests / seconds, ops, ops / seconds,
    late))
end
