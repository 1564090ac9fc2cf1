-- Issues client_credentials tokens (BENCH_AUTH, BENCH_BODY as form.lua) and appends each access
-- token to BENCH_OUT.<thread>, until the thread has BENCH_COUNT of them; then GET /health/live until
-- run.sh, counting the lines, stops wrk. Makes the populations of introspect-population.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

function init(args)
  count = tonumber(os.getenv("BENCH_COUNT"))
  out = io.open(os.getenv("BENCH_OUT") .. "." .. id, "w")
  headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Authorization"] = os.getenv("BENCH_AUTH")}
  body = os.getenv("BENCH_BODY")
  got = 0
  ops = 0
end

function request()
  if got >= count then
    return wrk.format("GET", "/health/live")
  end
  return wrk.format("POST", "/token", headers, body)
end

function response(status, hdrs, b)
  if got >= count or status ~= 200 then
    return
  end
  local token = b:match('"access_token":"([^"]+)"')
  if token then
    got = got + 1
    ops = ops + 1
    out:write(token .. "\n")
    if got == count then
      out:flush()
    end
  end
end
