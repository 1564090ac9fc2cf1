-- Each line of a list used once, as fast as the connections go, then wrk is stopped: a population
-- of tokens nobody presented before. BENCH_LINES: the file (each wrk thread takes every
-- BENCH_THREADS-th line); BENCH_MODE:
--   refresh     grant_type=refresh_token with the line as the refresh token (BENCH_AUTH: the client);
--               ops = 200 answers with a successor (each grant refreshed once, its successor dropped)
--   introspect  POST /introspect token=<line>; ops = answers "active": true, bad = any other answer
-- The first thread to run out of lines stops the run (report.lua: rates over that time); a thread
-- whose lines are all sent sends GET /health/live (not counted, at most 4 a second per connection)
-- while its last answers arrive.
-- BENCH_DEADLINE (seconds, default 10): the round's deadline. A thread whose lines are all sent and
-- some of whose answers are still missing that long after it sent its last one counts each of them
-- as late (an error: report.lua's `late`) and stops the run; the rates are then over the time until
-- its last answer, so one straggler neither holds a round for minutes (wrk's -d) nor lets the CPU
-- measured over the round become the restarted server's background work.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

function init(args)
  auth = os.getenv("BENCH_AUTH")
  mode = os.getenv("BENCH_MODE")
  deadline_ns = tonumber(os.getenv("BENCH_DEADLINE") or "10") * 1e9
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  lines = {}
  local i = 0
  for line in io.lines(os.getenv("BENCH_LINES")) do
    if line ~= "" then
      if i % threads == id then
        table.insert(lines, line)
      end
      i = i + 1
    end
  end
  nxt = 1
  answered = 0
  ops = 0
  bad = 0
  late = 0
  headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Authorization"] = auth}
  t0 = now_ns()
  t_last = t0 -- the last answer to one of the lines
  t_sent = nil -- when the last line was sent
end

function request()
  local line = lines[nxt]
  if line == nil then
    return wrk.format("GET", "/health/live")
  end
  nxt = nxt + 1
  if nxt > #lines then
    t_sent = now_ns()
  end
  if mode == "refresh" then
    return wrk.format("POST", "/token", headers, "grant_type=refresh_token&refresh_token=" .. line)
  end
  return wrk.format("POST", "/introspect", headers, "token=" .. line)
end

-- Once the lines are all sent, the connections only wait for the last answers: a slow pace keeps
-- the health checks (each one a chance to see the deadline pass) from loading the server.
function delay()
  if nxt > #lines then
    return 250
  end
  return 0
end

function finish(t)
  if t_end == nil then
    t_end = t
    stop_wrk()
  end
end

function response(status, hdrs, body)
  local now = now_ns()
  if not (body:find('"active"', 1, true) or body:find('"error"', 1, true)
      or body:find('"refresh_token"', 1, true)) then
    -- a /health/live answer (the answers of a thread's connections come in any order)
    if t_sent ~= nil and answered < #lines and now - t_sent > deadline_ns then
      late = #lines - answered
      finish(t_last)
    end
    return
  end
  answered = answered + 1
  t_last = now
  if mode == "refresh" then
    if status == 200 and body:find('"refresh_token"', 1, true) then
      ops = ops + 1
    end
  elseif status == 200 and body:find('"active":true', 1, true) then
    ops = ops + 1
  else
    bad = bad + 1
  end
  if answered == #lines then
    finish(now)
  end
end
