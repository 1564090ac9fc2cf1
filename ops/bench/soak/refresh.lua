-- grant_type=refresh_token with rotation. SOAK_CHAINS names a file of refresh tokens (at least two
-- per connection); SOAK_THREADS is wrk's thread count. Each thread takes its share; a request takes
-- a token from the thread's queue and the answer puts its successor back, as a client keeping its
-- latest refresh token would, so no token is presented twice (that would be reuse, and revoke).
dofile(os.getenv("SOAK_LUA_DIR") .. "/common.lua")
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  auth = os.getenv("SOAK_AUTH")
  local threads = tonumber(os.getenv("SOAK_THREADS"))
  queue = {}
  local i = 0
  for line in io.lines(os.getenv("SOAK_CHAINS")) do
    if line ~= "" then
      if i % threads == tid then
        table.insert(queue, line)
      end
      i = i + 1
    end
  end
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
    end
  end
end
