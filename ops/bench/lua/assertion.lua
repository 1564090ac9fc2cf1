-- client_credentials where each request carries the next JWT of a list made ahead of the run
-- (unique jti each, ES256; ops/bench/jwt/BenchJwts.java). BENCH_MODE:
--   assertion  the JWT is the request's private_key_jwt client assertion
--   dpop       the JWT is the request's DPoP proof (RFC 9449); BENCH_AUTH: the client's Basic header
-- BENCH_LINES: the file (each wrk thread takes every BENCH_THREADS-th line). A thread that runs out
-- starts over: those requests are replays, refused, and counted as errors, so a list too short shows.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local prefix = "grant_type=client_credentials&scope=api"
  .. "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
  .. "&client_assertion="

function init(args)
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
  mode = os.getenv("BENCH_MODE") or "assertion"
  headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  if mode == "dpop" then
    headers["Authorization"] = os.getenv("BENCH_AUTH")
  end
end

function request()
  local line = lines[nxt]
  nxt = nxt + 1
  if nxt > #lines then
    nxt = 1
  end
  if mode == "dpop" then
    headers["DPoP"] = line
    return wrk.format("POST", nil, headers, "grant_type=client_credentials&scope=api")
  end
  return wrk.format("POST", nil, headers, prefix .. line)
end
