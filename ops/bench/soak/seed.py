#!/usr/bin/env python3
"""Seeds a running Grantry for ops/bench/soak.sh through its HTTP API (standard library only).

  seed.py setup  BASE ADMIN_TOKEN DIR   clients soak-cc (client_credentials) and soak-web (code +
                                        refresh), a user signed in with remembered consent (its
                                        cookie), 200 JWTs to introspect: DIR/{setup.json,tokens.txt}
  seed.py chains BASE DIR N OUT         N fresh refresh tokens of soak-web, one per line, each from
                                        its own authorization code flow (one rotation chain each)
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
USER, PASSWORD = "soak", "soak-user-passphrase-1"
SCOPE = "offline_access api"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def opener(jar=None):
    handlers = [NoRedirect()] + ([urllib.request.HTTPCookieProcessor(jar)] if jar is not None else [])
    return urllib.request.build_opener(*handlers)


def call(op, method, url, body=None, headers=None, as_json=False):
    data = None
    headers = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode() if as_json else urllib.parse.urlencode(body).encode()
        headers["Content-Type"] = "application/json" if as_json else "application/x-www-form-urlencoded"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with op.open(req, timeout=60) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def authorize_url(base):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    query = urllib.parse.urlencode({"response_type": "code", "client_id": "soak-web", "redirect_uri": REDIRECT,
                                    "scope": SCOPE, "state": "soak", "code_challenge": challenge,
                                    "code_challenge_method": "S256"})
    return f"{base}/authorize?{query}", verifier


def code_of(location):
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    if "code" not in q:
        raise SystemExit(f"no code in the redirect: {location}")
    return q["code"][0]


def setup(base, admin_token, out_dir):
    op = opener()
    admin = {"Authorization": f"Bearer {admin_token}"}

    def client(cid, grants):
        body = {"client_id": cid, "client_name": f"soak {cid}", "token_endpoint_auth_method": "client_secret_basic",
                "grant_types": grants, "scope": "api" if grants == ["client_credentials"] else SCOPE}
        if "authorization_code" in grants:
            body["redirect_uris"] = [REDIRECT]
        status, _, text = call(op, "POST", f"{base}/admin/clients", body, admin, as_json=True)
        if status != 201:
            raise SystemExit(f"registering {cid}: {status} {text}")
        return json.loads(text)["client_secret"]

    seeded = {"clients": {"soak-cc": client("soak-cc", ["client_credentials"]),
                          "soak-web": client("soak-web", ["authorization_code", "refresh_token"])}}
    status, _, text = call(op, "POST", f"{base}/admin/users", {"username": USER, "password": PASSWORD}, admin,
                           as_json=True)
    if status != 201:
        raise SystemExit(f"registering the user: {status} {text}")
    jar = http.cookiejar.CookieJar()
    browser = opener(jar)
    url, _ = authorize_url(base)
    status, headers, page = call(browser, "GET", url)
    for _ in range(3):
        if status == 303:
            break
        form = {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)}
        if 'action="/login"' in page:
            form.update(username=USER, password=PASSWORD)
            status, headers, page = call(browser, "POST", f"{base}/login", form)
        elif 'action="/consent"' in page:
            form.update(decision="allow")
            status, headers, page = call(browser, "POST", f"{base}/consent", form)
        else:
            raise SystemExit(f"unexpected page {status}: {page[:300]}")
    if status != 303:
        raise SystemExit(f"sign-in and consent did not end in a redirect: {status}")
    code_of(headers["Location"])
    seeded["cookie"] = "; ".join(f"{c.name}={c.value}" for c in jar)
    auth = {"Authorization": basic("soak-cc", seeded["clients"]["soak-cc"])}
    with open(os.path.join(out_dir, "tokens.txt"), "w") as f:
        for _ in range(200):
            status, _, text = call(op, "POST", f"{base}/token", {"grant_type": "client_credentials", "scope": "api"}, auth)
            if status != 200:
                raise SystemExit(f"client_credentials: {status} {text}")
            f.write(json.loads(text)["access_token"] + "\n")
    with open(os.path.join(out_dir, "setup.json"), "w") as f:
        json.dump(seeded, f)


def chains(base, out_dir, n, out):
    with open(os.path.join(out_dir, "setup.json")) as f:
        seeded = json.load(f)
    op = opener()
    cookie = {"Cookie": seeded["cookie"]}
    auth = {"Authorization": basic("soak-web", seeded["clients"]["soak-web"])}
    with open(out, "w") as f:
        for _ in range(n):
            url, verifier = authorize_url(base)
            status, headers, text = call(op, "GET", url, headers=cookie)
            if status != 303:
                raise SystemExit(f"authorize with remembered consent: {status} {text[:300]}")
            status, _, text = call(op, "POST", f"{base}/token", {"grant_type": "authorization_code",
                                   "code": code_of(headers["Location"]), "redirect_uri": REDIRECT,
                                   "code_verifier": verifier}, auth)
            if status != 200:
                raise SystemExit(f"redeeming the code: {status} {text}")
            f.write(json.loads(text)["refresh_token"] + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "chains":
        chains(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        raise SystemExit(__doc__)
