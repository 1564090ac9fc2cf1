-- grant_type=refresh_token with rotation. BENCH_CHAINS names a file of refresh tokens, one per
-- chain (at least one per connection). Each wrk thread takes its share; a request takes a token
-- from the thread's queue and its answer puts the successor back, so every token is presented
-- once, as a client that keeps its latest refresh token would. A chain whose answer is not 200
-- (or whose request was cut off at the end) is gone: with too few chains left a request goes out
-- with no valid token and counts as an error.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

function init(args)
  auth = os.getenv("BENCH_AUTH")
  local threads = tonumber(os.getenv("BENCH_THREADS"))
  queue = {}
  local i = 0
  for line in io.lines(os.getenv("BENCH_CHAINS")) do
    if line ~= "" then
      if i % threads == id then
        table.insert(queue, line)
      end
      i = i + 1
    end
  end
  ops = 0
end

function request()
  local token = table.remove(queue, 1) or "no-chain-left.x"
  return wrk.format("POST", "/token", {["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = auth}, "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
  if status == 200 then
    local successor = body:match('"refresh_token":"([^"]+)"')
    if successor then
      table.insert(queue, successor)
      ops = ops + 1
    end
  end
end
