-- The authorization code flow with remembered consent, as a signed-in browser and its client:
-- GET /authorize with the session cookie (303 with a code), then POST /token with the code and the
-- PKCE verifier. Codes go to a per-thread queue; a connection redeems a waiting code if there is
-- one, else starts a new authorization. ops = flows completed (token responses with an access token).
-- BENCH_COOKIE, BENCH_AUTH, BENCH_QUERY (the authorize query), BENCH_VERIFIER, BENCH_REDIRECT.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local function enc(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  cookie = os.getenv("BENCH_COOKIE")
  auth = os.getenv("BENCH_AUTH")
  authorize = "/authorize?" .. os.getenv("BENCH_QUERY")
  tail = "&redirect_uri=" .. enc(os.getenv("BENCH_REDIRECT")) .. "&code_verifier=" .. enc(os.getenv("BENCH_VERIFIER"))
  codes = {}
  ops = 0
end

function request()
  local code = table.remove(codes, 1)
  if code then
    return wrk.format("POST", "/token", {["Content-Type"] = "application/x-www-form-urlencoded",
      ["Authorization"] = auth}, "grant_type=authorization_code&code=" .. code .. tail)
  end
  return wrk.format("GET", authorize, {["Cookie"] = cookie})
end

function response(status, headers, body)
  if status == 303 then
    local location = headers["Location"] or headers["location"] or ""
    local code = location:match("[?&]code=([^&]+)")
    if code then
      table.insert(codes, code)
    end
  elseif status == 200 and body:find('"access_token"', 1, true) then
    ops = ops + 1
  end
end
