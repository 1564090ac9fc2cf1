-- One fixed form POST (client_credentials): SOAK_PATH, SOAK_BODY, SOAK_AUTH.
dofile(os.getenv("SOAK_LUA_DIR") .. "/common.lua")
wrk.method = "POST"
wrk.path = os.getenv("SOAK_PATH")
wrk.body = os.getenv("SOAK_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = os.getenv("SOAK_AUTH")
