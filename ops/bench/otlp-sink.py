#!/usr/bin/env python3
"""A stand-in OTLP/HTTP collector for benchmarks of tracing (ops/bench/results/tracing.md): accepts
every POST to /v1/traces, reads it whole and answers an empty ExportTraceServiceResponse, counting
requests, bytes and the token requests' server spans among them (their name, "POST /token"),
printed on SIGTERM or Ctrl-C: compared with the requests made, they say how many spans the SDK's
batch queue dropped. It keeps nothing, so what a run costs is the
server's: building, batching, encoding and sending the spans.

Usage: ops/bench/otlp-sink.py [port=4318]; then GRANTRY_OTEL_ENDPOINT=http://127.0.0.1:4318
"""
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

seen = {"posts": 0, "bytes": 0, "token_spans": 0}


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        seen["posts"] += 1
        seen["token_spans"] += body.count(b"POST /token")
        seen["bytes"] += n
        self.send_response(200 if self.path == "/v1/traces" else 404)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 4318
    server = ThreadingHTTPServer(("127.0.0.1", port), Sink)

    def stop(*_):
        print(
            f"otlp-sink: {seen['posts']} posts, {seen['bytes']} bytes,"
            f" {seen['token_spans']} 'POST /token' spans",
            flush=True,
        )
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()


if __name__ == "__main__":
    main()
