-- Shared by the wrk scripts of ops/bench/run.sh: keeps the threads, and at the end prints one line
--   RESULT <requests> <errors> <p50 ms> <p99 ms> <requests/s> <ops> <ops/s>
-- where errors are non-2xx/3xx answers plus socket errors, and ops are the workload's units of
-- work (a script that counts them sets the thread global `ops`; else every good answer is one).
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.status + e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  local ops = 0
  local counted = false
  for _, t in ipairs(threads) do
    local n = t:get("ops")
    if n ~= nil then
      ops = ops + n
      counted = true
    end
  end
  if not counted then
    ops = summary.requests - errors
  end
  io.write(string.format("RESULT %d %d %.2f %.2f %.1f %d %.1f\n", summary.requests, errors,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests / seconds, ops, ops / seconds))
end
