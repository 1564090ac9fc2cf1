#!/usr/bin/env python3
"""Seeds a running Grantry for ops/bench/run.sh, through its public HTTP API only.

  seed.py setup  BASE ADMIN_TOKEN OUT.json   clients, a user, a signed-in browser with remembered
                                              consent, and one token of each kind to introspect
  seed.py chains BASE SETUP.json N OUT.txt [CLIENT [SCOPE]]
                                              N fresh refresh tokens (one per line) of CLIENT
                                              (default bench-web) for SCOPE (default offline_access
                                              api: no openid, so no ID token on refresh), each from
                                              its own code flow: one rotation chain each

Python's standard library only (urllib), so the kit needs nothing beyond python3, curl and wrk.
"""
import base64
import hashlib
import html
import http.cookiejar
import json
import os
import re
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request

REDIRECT = "http://127.0.0.1:9/cb"
USER, PASSWORD = "bench", "bench-user-passphrase-1"
# Consent is given once for all of these; the flow and refresh workloads ask for subsets of it.
CONSENT_SCOPE = "openid profile offline_access api"
FLOW_SCOPE = "openid api"
REFRESH_SCOPE = "offline_access api"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def opener(jar=None):
    handlers = [NoRedirect()]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    return urllib.request.build_opener(*handlers)


def call(op, method, url, body=None, headers=None, as_json=False):
    """(status, headers, text) without raising on 3xx/4xx; body is a form, or JSON with as_json."""
    data = None
    if body is not None and not as_json:
        data = urllib.parse.urlencode(body).encode()
        headers = dict(headers or {}, **{"Content-Type": "application/x-www-form-urlencoded"})
    elif body is not None:
        data = json.dumps(body).encode()
        headers = dict(headers or {}, **{"Content-Type": "application/json"})
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with op.open(req, timeout=30) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def hidden(page):
    return {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)}


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def authorize_query(client_id, scope, challenge):
    return urllib.parse.urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
                                   "scope": scope, "state": "bench", "code_challenge": challenge,
                                   "code_challenge_method": "S256"})


def code_of(location):
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    if "code" not in q:
        raise SystemExit(f"no code in the redirect: {location}")
    return q["code"][0]


TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


def setup(base, admin_token, out):
    op = opener()
    admin = {"Authorization": f"Bearer {admin_token}"}

    def client(cid, grants, fmt="jwt", alg="ES256", extra=None):
        body = {"client_id": cid, "client_name": f"bench {cid}", "token_endpoint_auth_method": "client_secret_basic",
                "grant_types": grants, "scope": CONSENT_SCOPE if "authorization_code" in grants else "api",
                "access_token_format": fmt, "access_token_signing_alg": alg}
        if "authorization_code" in grants:
            body["redirect_uris"] = [REDIRECT]
        body.update(extra or {})
        status, _, text = call(op, "POST", f"{base}/admin/clients", body, admin, as_json=True)
        if status != 201:
            raise SystemExit(f"registering {cid}: {status} {text}")
        return json.loads(text)["client_secret"]

    seeded = {"clients": {
        "bench-es256": client("bench-es256", ["client_credentials"]),
        "bench-rs256": client("bench-rs256", ["client_credentials"], alg="RS256"),
        "bench-opaque": client("bench-opaque", ["client_credentials"], fmt="opaque"),
        "bench-web": client("bench-web", ["authorization_code", "refresh_token"]),
        # ID tokens signed ES256 (id_token_signed_response_alg); first-party, so no consent page.
        "bench-web-es": client("bench-web-es", ["authorization_code", "refresh_token"],
                               extra={"id_token_signed_response_alg": "ES256", "skip_consent": True}),
        # Token exchange (RFC 8693) of its own client_credentials token (the exchange workloads).
        "bench-exchange": client("bench-exchange", ["client_credentials", TOKEN_EXCHANGE]),
    }}
    # The private_key_jwt client, when run.sh made its key (BENCH_PKJ_KEY: BenchJwts.java's key file).
    pkj_key = os.environ.get("BENCH_PKJ_KEY")
    if pkj_key:
        with open(pkj_key) as f:
            jwk = json.load(f)["jwk"]
        status, _, text = call(op, "POST", f"{base}/admin/clients", {
            "client_id": "bench-pkj", "client_name": "bench bench-pkj", "token_endpoint_auth_method": "private_key_jwt",
            "grant_types": ["client_credentials"], "scope": "api", "jwks": {"keys": [jwk]}}, admin, as_json=True)
        if status != 201:
            raise SystemExit(f"registering bench-pkj: {status} {text}")
    status, _, text = call(op, "POST", f"{base}/admin/users", {"username": USER, "password": PASSWORD}, admin, as_json=True)
    if status != 201:
        raise SystemExit(f"registering the user: {status} {text}")

    # Sign in and consent once in a cookie-keeping "browser"; later authorizations are remembered.
    jar = http.cookiejar.CookieJar()
    browser = opener(jar)
    _, challenge = pkce()
    status, headers, page = call(browser, "GET", f"{base}/authorize?" + authorize_query("bench-web", CONSENT_SCOPE, challenge))
    for _ in range(3):
        if status == 303:
            break
        form = hidden(page)
        if 'action="/login"' in page:
            form.update(username=USER, password=PASSWORD)
            status, headers, page = call(browser, "POST", f"{base}/login", form)
        elif 'action="/consent"' in page:
            form.update(decision="allow")
            status, headers, page = call(browser, "POST", f"{base}/consent", form)
        else:
            raise SystemExit(f"unexpected page {status}: {page[:300]}")
    if status != 303:
        raise SystemExit(f"the sign-in and consent did not end in a redirect: {status}")
    code_of(headers["Location"])
    seeded["cookie"] = "; ".join(f"{c.name}={c.value}" for c in jar)

    # One token of each kind for the introspection workloads, checked active.
    for cid, key in (("bench-es256", "jwt"), ("bench-opaque", "opaque"), ("bench-exchange", "exchange")):
        auth = {"Authorization": basic(cid, seeded["clients"][cid])}
        status, _, text = call(op, "POST", f"{base}/token", {"grant_type": "client_credentials", "scope": "api"}, auth)
        token = json.loads(text)["access_token"]
        status, _, text = call(op, "POST", f"{base}/introspect", {"token": token}, auth)
        if not json.loads(text).get("active"):
            raise SystemExit(f"the {key} token does not introspect as active: {text}")
        seeded[f"{key}_token"] = token
    verifier, challenge = pkce()
    seeded["flow"] = {"query": authorize_query("bench-web", FLOW_SCOPE, challenge), "verifier": verifier,
                      "redirect_uri": REDIRECT}
    with open(out, "w") as f:
        json.dump(seeded, f, indent=1)


def chains(base, setup_file, n, out, cid="bench-web", scope=REFRESH_SCOPE):
    with open(setup_file) as f:
        seeded = json.load(f)
    op = opener()
    auth = {"Authorization": basic(cid, seeded["clients"][cid]), "Cookie": seeded["cookie"]}
    tokens = []
    for _ in range(n):
        verifier, challenge = pkce()
        status, headers, page = call(op, "GET", f"{base}/authorize?" + authorize_query(cid, scope, challenge),
                                     None, {"Cookie": seeded["cookie"]})
        if status != 303:
            raise SystemExit(f"authorize with the remembered consent answered {status}: {page[:300]}")
        status, _, text = call(op, "POST", f"{base}/token", {
            "grant_type": "authorization_code", "code": code_of(headers["Location"]), "redirect_uri": REDIRECT,
            "code_verifier": verifier}, auth)
        if status != 200:
            raise SystemExit(f"code redemption answered {status}: {text}")
        tokens.append(json.loads(text)["refresh_token"])
    with open(out, "w") as f:
        f.write("\n".join(tokens) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "setup":
        setup(sys.argv[2].rstrip("/"), sys.argv[3], sys.argv[4])
    elif 6 <= len(sys.argv) <= 8 and sys.argv[1] == "chains":
        chains(sys.argv[2].rstrip("/"), sys.argv[3], int(sys.argv[4]), sys.argv[5], *sys.argv[6:])
    else:
        raise SystemExit(__doc__)
