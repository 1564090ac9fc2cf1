-- One fixed form POST with HTTP Basic client authentication: client_credentials at /token, or
-- introspection of one token at /introspect. BENCH_AUTH: the Authorization header; BENCH_BODY: the form.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
