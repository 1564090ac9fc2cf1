-- Builds refresh histories: every chain of BENCH_CHAINS (one refresh token per line, each thread
-- takes its share) is refreshed BENCH_ROTATIONS times, one request at a time per chain, and its last
-- token is appended to BENCH_OUT (or "FAILED <status>" when a refresh was refused). A thread with no
-- chain left sends GET /health/live until run.sh, counting the lines, stops wrk.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

function init(args)
  auth = os.getenv("BENCH_AUTH")
  rotations = tonumber(os.getenv("BENCH_ROTATIONS"))
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  queue = {}
  local i = 0
  for line in io.lines(os.getenv("BENCH_CHAINS")) do
    if line ~= "" then
      if i % threads == id then
        table.insert(queue, {token = line, left = rotations})
      end
      i = i + 1
    end
  end
  out = io.open(os.getenv("BENCH_OUT") .. "." .. id, "w")
  out:setvbuf("line")
  inflight = {} -- chains by grant id (a token is "<grant id>.<secret>", its successor has the same id)
  headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Authorization"] = auth}
  ops = 0
end

function request()
  local chain = table.remove(queue, 1)
  if chain == nil then
    return wrk.format("GET", "/health/live")
  end
  inflight[chain.token:match("^([^.]+)%.")] = chain
  return wrk.format("POST", "/token", headers, "grant_type=refresh_token&refresh_token=" .. chain.token)
end

function response(status, hdrs, body)
  -- The answers of a thread's connections come in any order: the chain is found by its grant id.
  local successor = status == 200 and body:match('"refresh_token":"([^"]+)"')
  if not successor then
    if status ~= 200 then
      out:write("FAILED " .. status .. "\n") -- that chain is lost (its id is not in the answer)
    end
    return -- else a /health/live answer
  end
  local grant = successor:match("^([^.]+)%.")
  local chain = inflight[grant]
  inflight[grant] = nil
  ops = ops + 1
  chain.token = successor
  chain.left = chain.left - 1
  if chain.left <= 0 then
    out:write(successor .. "\n")
  else
    table.insert(queue, chain)
  end
end
