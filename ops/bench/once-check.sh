#!/usr/bin/env bash
# Checks lua/once.lua's deadline against a stub server (python3, no Grantry): 400 refresh tokens,
# two of which (one in each wrk thread's share) the stub never answers. With BENCH_DEADLINE=2 the
# round must end about 2 s after the last token was sent, count the straggler of the thread that
# ended it as late (an error) and the others as refreshes; without a deadline wrk waited for them
# until its -d (60 s here): the first thread to have all its answers ends a round, and neither has.
# Usage: ops/bench/once-check.sh   (exit 0: as expected)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
WORK=$(mktemp -d /tmp/grantry-once-check.XXXXXX)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
PORT=${GRANTRY_BENCH_PORT:-18399}
for i in $(seq 1 400); do echo "grant$i.secret$i"; done > "$WORK/lines"
sed -i -e 's/^grant77\.secret77$/grant77.straggler/' -e 's/^grant78\.secret78$/grant78.straggler/' "$WORK/lines"
cat > "$WORK/stub.py" <<'PY'
import http.server, socketserver, sys, time
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def answer(self, body):
        b = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        self.answer("{}")
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        if "straggler" in body:
            time.sleep(600)
        self.answer('{"access_token":"a","refresh_token":"g.next"}')
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$WORK/stub.py" "$PORT" &
PID=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && break; sleep 0.1; done
start=$(date +%s)
BENCH_LUA_DIR=$PWD/ops/bench/lua BENCH_THREADS=2 BENCH_DEADLINE=2 BENCH_MODE=refresh BENCH_AUTH="Basic eDp5" \
  BENCH_LINES="$WORK/lines" wrk -t2 -c16 -d60s --timeout 60s -s ops/bench/lua/once.lua "http://127.0.0.1:$PORT/token" \
  > "$WORK/wrk.txt" 2>&1
took=$(( $(date +%s) - start ))
read -r _ requests errors _ _ _ ops _ late < <(grep '^RESULT' "$WORK/wrk.txt")
echo "once.lua against a stub with two stragglers: ended after ${took} s; refreshes $ops, errors $errors, late $late"
# The first thread to reach the deadline ends the run: its straggler is late, its 199 others are
# answered, and so are the other thread's (but its own straggler, cut by the stop, not counted).
[ "$late" -ge 1 ] && [ "$errors" -ge "$late" ] && [ "$ops" -ge 390 ] && [ "$took" -le 10 ] \
  || { echo "once-check: FAILED" >&2; cat "$WORK/wrk.txt" >&2; exit 1; }
echo "once-check: OK"
