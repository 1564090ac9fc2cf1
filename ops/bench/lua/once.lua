-- Each line of a list used once, as fast as the connections go, then wrk is stopped: a population
-- of tokens nobody presented before. BENCH_LINES: the file (each wrk thread takes every
-- BENCH_THREADS-th line); BENCH_MODE:
--   refresh     grant_type=refresh_token with the line as the refresh token (BENCH_AUTH: the client);
--               ops = 200 answers with a successor (each grant refreshed once, its successor dropped)
--   introspect  POST /introspect token=<line>; ops = answers "active": true, bad = any other answer
-- The first thread to run out of lines stops the run (report.lua: rates over that time); a thread
-- whose lines are all sent sends GET /health/live (not counted) while its last answers arrive.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

function init(args)
  auth = os.getenv("BENCH_AUTH")
  mode = os.getenv("BENCH_MODE")
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
  headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Authorization"] = auth}
  t0 = now_ns()
end

function request()
  local line = lines[nxt]
  if line == nil then
    return wrk.format("GET", "/health/live")
  end
  nxt = nxt + 1
  if mode == "refresh" then
    return wrk.format("POST", "/token", headers, "grant_type=refresh_token&refresh_token=" .. line)
  end
  return wrk.format("POST", "/introspect", headers, "token=" .. line)
end

function response(status, hdrs, body)
  if not (body:find('"active"', 1, true) or body:find('"error"', 1, true)
      or body:find('"refresh_token"', 1, true)) then
    return -- a /health/live answer (the answers of a thread's connections come in any order)
  end
  answered = answered + 1
  if mode == "refresh" then
    if status == 200 and body:find('"refresh_token"', 1, true) then
      ops = ops + 1
    end
  elseif status == 200 and body:find('"active":true', 1, true) then
    ops = ops + 1
  else
    bad = bad + 1
  end
  if answered == #lines and t_end == nil then
    t_end = now_ns()
    stop_wrk()
  end
end
