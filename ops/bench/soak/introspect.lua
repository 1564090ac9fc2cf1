-- Introspection of a pool of JWTs (SOAK_TOKENS: a file, one per line), taken in turn.
dofile(os.getenv("SOAK_LUA_DIR") .. "/common.lua")

function init(args)
  auth = os.getenv("SOAK_AUTH")
  tokens = {}
  for line in io.lines(os.getenv("SOAK_TOKENS")) do
    if line ~= "" then
      table.insert(tokens, line)
    end
  end
  next_token = math.random(#tokens)
end

function request()
  next_token = next_token % #tokens + 1
  return wrk.format("POST", "/introspect", {["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = auth}, "token=" .. tokens[next_token])
end
