#!/usr/bin/env python3
"""The Markdown report of ops/bench/run.sh, from raw/results.jsonl (one JSON object per wrk run).

  report.py RAW COMMAND WORKLOADS REFERENCE CONNECTIONS ES_RATE RS_RATE CORES

Every figure is a median over the rounds. A Grantry workload's ratio to the reference is the median
of its rounds' ratios, each against the reference workload measured in the same round at the same
connection count (round-robin, so both saw the machine alike).
"""
import json
import statistics
import sys

raw, command, workloads, reference, connections, es, rs, cores = sys.argv[1:9]
workloads, reference = workloads.split(), reference.split()
connections = [int(c) for c in connections.split()]
es, rs, cores = float(es or 0), float(rs or 0), int(cores)
results = [json.loads(line) for line in open(f"{raw}/results.jsonl") if line.strip()]

# What each workload is compared with: the issue's pairs for client_credentials and introspection;
# the cheapest issuance of the reference as a yardstick of the machine for the others.
REF_OF = {"cc-es256": "ref-cc-jwt", "cc-rs256": "ref-cc-jwt", "cc-opaque": "ref-cc-opaque",
          "cc-fresh-start": "ref-cc-jwt", "cc-pkj": "ref-cc-es256", "cc-dpop": "ref-cc-es256"}
UNITS = {"flow": "flows", "cc-es256": "tokens", "cc-rs256": "tokens", "cc-opaque": "tokens",
         "cc-fresh-start": "tokens", "exchange": "tokens", "exchange-actor": "tokens",
         "cc-pkj": "tokens", "cc-dpop": "tokens"}
COLD = ("refresh-cold", "refresh-cold-fresh", "introspect-population", "introspect-population-opaque")


def base(w):
    """A workload's name without the "@B" of an A/B's second cold server (run.sh B_JAR ...)."""
    return w.split("@")[0]


def ref_of(w):
    w = base(w)
    want = REF_OF.get(w) or ("ref-introspect" if w.startswith("introspect") else "ref-cc-opaque")
    if want in reference:
        return want
    return reference[0] if reference else None


def unit(w):
    w = base(w)
    if w in UNITS:
        return UNITS[w]
    if w.startswith("refresh"):
        return "refreshes"
    if w.startswith("ref-cc"):
        return "tokens"
    return "answers"


def rows(w, c, window=None):
    return [r for r in results if r["workload"] == w and r["conns"] == c and r["tag"] != "warmup"
            and (window is None or r.get("window") == window)]


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def rnd(r):
    return r["tag"].split("-")[0]


def ratio(w, c, rs_):
    ref = ref_of(w)
    if not ref:
        return None, None
    by_round = {rnd(r): r["ops_s"] for r in rows(ref, c)}
    ratios = [r["ops_s"] / by_round[rnd(r)] for r in rs_ if by_round.get(rnd(r))]
    return ref, med(ratios)


def rounds_of(rs_):
    return " · ".join(format(r["ops_s"], ",.0f") for r in rs_)


def errors(rs_):
    """The rounds' errors, and how many of them were late (a cold round's deadline, lua/once.lua)."""
    late = sum(r.get("late", 0) for r in rs_)
    return f"{sum(r['errors'] for r in rs_)}" + (f" ({late} late)" if late else "")


def fmt(v, spec=",.0f", none="–"):
    return none if v is None else format(v, spec)


def per_sign(w):
    w = base(w)
    if not (es and rs):
        return None
    return {"cc-es256": 1 / es, "refresh": 1 / es, "cc-rs256": 1 / rs, "flow": 1 / es + 1 / rs,
            "refresh-openid": 1 / es + 1 / rs, "refresh-openid-es256": 2 / es,
            "refresh-cold": 1 / es, "refresh-cold-fresh": 1 / es, "cc-fresh-start": 1 / es,
            "exchange": 1 / es, "exchange-actor": 1 / es}.get(w)


out = []
p = out.append
rounds = max((int(rnd(r)[1:]) for r in results if rnd(r).startswith("r")), default=0)
p(f"# Grantry benchmark: {rounds} round(s), side by side with a reference")
p("")
p(f"Command: `{command}` (WORKLOADS=\"{' '.join(workloads)}\", REFERENCE=\"{' '.join(reference)}\"). "
  "Servers, PostgreSQL, the reference and wrk share this machine.")
p("Every token Grantry issues is committed (fsync) before its answer; the reference keeps its tokens in memory only.")
p("")
p(open(f"{raw}/machine.md").read().rstrip())
p("")
if es and rs:
    p(f"Single-core signing rate (JMH, JwsSigner, native provider): ES256 {es:,.0f}/s, RS256 {rs:,.0f}/s. "
      f"\"of signing limit\" = ops/s ÷ (rate × {cores} cores).")
    p("")
p("| workload | conns | ops/s | × reference (median of rounds) | rounds (ops/s) | p50 ms | p99 ms | errors | "
  "server RSS MB | server µs/op | PostgreSQL µs/op | server cores | PostgreSQL cores | of signing limit |")
p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
summary = {}
for w in workloads + reference:
    if base(w) == "cc-fresh-start":
        continue
    for c in connections:
        rs_ = rows(w, c)
        if not rs_:
            continue
        ops = med(r["ops_s"] for r in rs_)
        ref, x = (None, None) if w.startswith("ref-") else ratio(w, c, rs_)
        s = {"ops": ops, "ratio": x, "ref": ref, "p99": med(r["p99"] for r in rs_),
             "server_us": med(r["server_us"] for r in rs_), "db_us": med(r["db_us"] for r in rs_),
             "rss": max(r["rss_mb"] for r in rs_)}
        summary[(w, c)] = s
        ps = per_sign(w)
        limit = f"{ops * ps / cores:.0%}" if ps else ""
        name = w + (f" ({rs_[0]['population']:,} each once)" if "population" in rs_[0] else "")
        p(f"| {name} | {c} | {ops:,.0f} {unit(w)}/s | {fmt(x, '.2f')}{f' of {ref}' if ref else ''} | "
          f"{rounds_of(rs_)} | {med(r['p50'] for r in rs_):.2f} | {s['p99']:.2f} | "
          f"{errors(rs_)} | {s['rss']} | {fmt(s['server_us'])} | {fmt(s['db_us'])} | "
          f"{med(r['server_cores'] for r in rs_):.2f} | {med(r['db_cores'] for r in rs_):.2f} | {limit} |")
p("")
p("ops/s counts tokens, refreshes, flows or introspection answers (a code flow is two requests); errors: non-2xx/3xx "
  "answers, socket errors, wrong answers (an inactive token of a population) and late ones (a cold round's "
  "requests still unanswered COLD_DEADLINE s after its last was sent) summed over the rounds. "
  "µs/op: CPU time (user + system, from /proc) of the server's JVM, and of all its PostgreSQL's processes, over the "
  "run divided by the ops (for the reference: the node process; it has no database)."
  + (" The cold rows run on a second server restarted before each round: "
     + ", ".join(w for w in workloads if base(w) in COLD) + "." if any(base(w) in COLD for w in workloads) else ""))

for fw in ("cc-fresh-start", "cc-fresh-start@B"):
    fresh = [r for r in results if r["workload"] == fw]
    if not fresh:
        continue
    steady = summary.get(("cc-es256", 64), {}).get("ops")
    p("")
    p(f"## {fw}: client_credentials ES256 in each window after the server is ready (64 connections)")
    p("")
    ready = " · ".join(str(r["ready_ms"]) for r in fresh if r["window"] == 1)
    first = " · ".join(str(r["first_ms"]) for r in fresh if r["window"] == 1 and "first_ms" in r)
    p(f"Steady state: cc-es256 at 64 connections on the long-running server in the same run, {fmt(steady)} tokens/s. "
      f"Ready after (ms from the process's start, per round): {ready}"
      + (f"; first token answered after (ms, one request before the load): {first}." if first else "."))
    p("")
    p("| window | s after ready | tokens/s (median) | rounds | of steady state | server µs/token | PostgreSQL µs/token |")
    p("|---|---|---|---|---|---|---|")
    windows = sorted({r["window"] for r in fresh})
    for k in windows:
        rs_ = [r for r in fresh if r["window"] == k]
        ops = med(r["ops_s"] for r in rs_)
        summary[(fw, k)] = {"ops": ops}
        secs = rs_[0].get("window_secs", 5)
        p(f"| {k} | {(k - 1) * secs}–{k * secs} | {ops:,.0f} | {rounds_of(rs_)} | "
          f"{fmt(ops / steady if steady else None, '.0%')} | {fmt(med(r['server_us'] for r in rs_))} | "
          f"{fmt(med(r['db_us'] for r in rs_))} |")

p("")
p("## Targets (issue 19)")
p("")
p("| target | figure | met |")
p("|---|---|---|")


def target(label, value, goal, higher=True, spec=".2f"):
    if value is None:
        p(f"| {label} | not measured | |")
        return
    ok = value >= goal if higher else value <= goal
    p(f"| {label} | {format(value, spec)} | {'yes' if ok else '**no**'} |")


def x(w, c=64):
    return summary.get((w, c), {}).get("ratio")


def o(w, c=64):
    return summary.get((w, c), {}).get("ops")


def rel(a, b):
    return o(a) / o(b) if o(a) and o(b) else None


target("cc-es256 ≥ 8 × reference RS256 JWT", x("cc-es256"), 8)
target("cc-opaque ≥ 4 × reference opaque", x("cc-opaque"), 4)
target("cc-rs256 ≥ 2 × reference RS256 JWT", x("cc-rs256"), 2)
for w in ("cc-es256", "cc-rs256", "cc-opaque"):
    target(f"{w} p99 ≤ 25 ms at 64 connections", summary.get((w, 64), {}).get("p99"), 25, higher=False)
target("refresh-cold (history) ≥ 0.9 × refresh-cold-fresh", rel("refresh-cold", "refresh-cold-fresh"), 0.9)
if o("refresh-cold@B"):
    target("B: refresh-cold@B ≥ 0.9 × refresh-cold-fresh@B", rel("refresh-cold@B", "refresh-cold-fresh@B"), 0.9)
target("refresh-cold (history) ≥ 0.5 × refresh (hot chains)", rel("refresh-cold", "refresh"), 0.5)
target("introspect-population ≥ 0.5 × introspect-jwt", rel("introspect-population", "introspect-jwt"), 0.5)
target("introspect-population-opaque ≥ 0.5 × introspect-opaque",
       rel("introspect-population-opaque", "introspect-opaque"), 0.5)
for fw in ("cc-fresh-start", "cc-fresh-start@B"):
    fresh = [r for r in results if r["workload"] == fw]
    if fresh and o("cc-es256"):
        first = next((k for k in sorted({r["window"] for r in fresh})
                      if summary[(fw, k)]["ops"] >= 0.8 * o("cc-es256")), None)
        window = fresh[0]
        secs = None if first is None else first * (window.get("window_secs") or 5)
        target(f"{fw}: ≥ 80% of steady state within 20 s (end of the first such window, s)",
               secs, 20, higher=False, spec=".0f")
es_cpu = summary.get(("cc-es256", 64), {})
if es_cpu.get("server_us") is not None:
    target("server + PostgreSQL CPU per cc-es256 token ≤ 150 µs",
           es_cpu["server_us"] + (es_cpu["db_us"] or 0), 150, higher=False, spec=".0f")
# Issue 18: client authentication with keys and DPoP cost a signature verification (and a jti
# claimed in PostgreSQL) per token; each at least half the client_secret_basic ES256 rate.
for w in ("cc-pkj", "cc-dpop"):
    if o(w) is not None:
        target(f"{w} ≥ 0.5 × cc-es256 (issue 18)", rel(w, "cc-es256"), 0.5)
        target(f"{w} p99 ≤ 30 ms at 64 connections (issue 18)", summary.get((w, 64), {}).get("p99"), 30,
               higher=False)
        cpu = summary.get((w, 64), {})
        if cpu.get("server_us") is not None:
            p(f"| server + PostgreSQL CPU per {w} token, µs (cc-es256: "
              f"{fmt((es_cpu.get('server_us') or 0) + (es_cpu.get('db_us') or 0))}) | "
              f"{cpu['server_us'] + (cpu['db_us'] or 0):.0f} | (no target) |")
target("server RSS < 400 MB (largest after any hot run)",
       max((s.get("rss") or 0 for (w, _), s in summary.items()
            if not w.startswith("ref-") and base(w) not in COLD and base(w) != "cc-fresh-start"),
           default=None), 400, higher=False, spec=".0f")
ab = [w for w in workloads if w.endswith("@B") and base(w) != "cc-fresh-start"]
if ab:
    p("")
    p("## A/B of the cold workloads (B: the second cold server, rows <workload>@B)")
    p("")
    p("| workload | A ops/s | B ops/s | B/A ops/s (median of the rounds' ratios) | A server + PG µs/op | B server + PG µs/op | B/A µs/op |")
    p("|---|---|---|---|---|---|---|")
    for wb in ab:
        wa = base(wb)
        ra, rb = rows(wa, 64), rows(wb, 64)
        if not ra or not rb:
            continue
        by_round = {rnd(r): r["ops_s"] for r in ra}
        ratios = med([r["ops_s"] / by_round[rnd(r)] for r in rb if by_round.get(rnd(r))])
        ca = med((r["server_us"] or 0) + (r["db_us"] or 0) for r in ra)
        cb = med((r["server_us"] or 0) + (r["db_us"] or 0) for r in rb)
        p(f"| {wa} | {o(wa):,.0f} | {o(wb):,.0f} | {fmt(ratios, '.2f')} | "
          f"{fmt(med(r['server_us'] for r in ra))} + {fmt(med(r['db_us'] for r in ra))} | "
          f"{fmt(med(r['server_us'] for r in rb))} + {fmt(med(r['db_us'] for r in rb))} | "
          f"{fmt(cb / ca if ca and cb else None, '.2f')} |")
p("")
p("Raw wrk output, the servers' logs, JMH's output and results.jsonl: raw/ (not in git).")
print("\n".join(out))
