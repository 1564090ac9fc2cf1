#!/usr/bin/env python3
"""A storm of browser sign-ins at /account/login: N threads, each a browser of its own (cookies,
the sign-in form's CSRF token), signing in again and again for SECONDS. Every sign-in is one
Argon2id verification on the server. Prints one line:
  STORM <sign-ins answered> <303 signed in> <503 busy> <other> <p50 ms> <p99 ms> <busy with Retry-After> <503 deadline>
"503 busy" is the page that says the password slots are full; "503 deadline" is any other 503 (the
request deadline, GRANTRY_DB_TIMEOUT_MS, ran out); "other" is anything else (or no answer).
A browser that is told 503 with Retry-After waits that long before it tries again, as a person
would; with HONOR_RETRY_AFTER=0 it retries at once (a client flooding the sign-in page).
Usage: signin_storm.py BASE USERNAME PASSWORD THREADS SECONDS [HONOR_RETRY_AFTER=1]"""
import http.cookiejar
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def browser():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())


def sign_in(op, base, username, password):
    """(status, retry_after) of one sign-in: the form, then its post."""
    with op.open(base + "/account/login", timeout=30) as r:
        page = r.read().decode()
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    form.update(username=username, password=password)
    req = urllib.request.Request(base + "/account/login", data=urllib.parse.urlencode(form).encode(),
                                 headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                                          "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with op.open(req, timeout=30) as r:
            return r.status, r.headers.get("Retry-After"), False
    except urllib.error.HTTPError as e:
        body = e.read().decode(errors="replace")
        return e.code, e.headers.get("Retry-After"), "Too busy" in body


def main():
    base, username, password, threads, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    honor = len(sys.argv) < 7 or sys.argv[6] != "0"
    end = time.monotonic() + seconds
    lock = threading.Lock()
    counts = {"ok": 0, "busy": 0, "other": 0, "retry_after": 0, "deadline": 0}
    latencies = []

    def run():
        op = browser()
        while time.monotonic() < end:
            t0 = time.monotonic()
            try:
                status, retry, busy = sign_in(op, base, username, password)
            except Exception:  # a timeout or a reset: counted, never fatal
                status, retry, busy = -1, None, False
            ms = (time.monotonic() - t0) * 1000
            with lock:
                latencies.append(ms)
                if status == 303:
                    counts["ok"] += 1
                elif status == 503 and busy:
                    counts["busy"] += 1
                    counts["retry_after"] += 1 if retry else 0
                elif status == 503:
                    counts["deadline"] += 1
                else:
                    counts["other"] += 1
            if status == 303:
                op = browser()  # signed in: a new browser signs in again
            elif status == 503 and retry and honor:
                time.sleep(min(float(retry), max(0.0, end - time.monotonic())))

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    latencies.sort()
    n = len(latencies)
    pct = lambda p: latencies[min(n - 1, int(p * n))] if n else 0
    print("STORM %d %d %d %d %.0f %.0f %d %d" % (n, counts["ok"], counts["busy"], counts["other"], pct(0.5), pct(0.99),
                                                 counts["retry_after"], counts["deadline"]))


if __name__ == "__main__":
    main()
