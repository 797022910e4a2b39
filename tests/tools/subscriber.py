#!/usr/bin/python3
"""subscriber PORT DIR: a ZGW notification receiver for the tests — an HTTP
server on 127.0.0.1:PORT that appends every POST as one JSON line to
DIR/received.jsonl: {"path", "authorization", "idempotency_key",
"content_type", "body"} (body as received, parsed).  It answers with the
status in DIR/status (default 204) after the seconds in DIR/delay (default
0), so a test can make it fail or slow; DIR/pid holds its pid.  Writes are
flushed per line, so a reader never sees half a notification."""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, DIR = int(sys.argv[1]), sys.argv[2]
LOCK = threading.Lock()


def setting(name, default):
    try:
        with open(os.path.join(DIR, name)) as f:
            return type(default)(f.read().strip())
    except (OSError, ValueError):
        return default


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        delay = setting("delay", 0.0)
        if delay > 0:
            time.sleep(delay)
        status = setting("status", 204)
        if 200 <= status < 300:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            line = json.dumps({
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "idempotency_key": self.headers.get("Idempotency-Key"),
                "content_type": self.headers.get("Content-Type"),
                "at": time.time(),
                "body": body,
            })
            with LOCK, open(os.path.join(DIR, "received.jsonl"), "a") as f:
                f.write(line + "\n")
                f.flush()
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass    # a gateway killed mid-request resets its connection


def main():
    os.makedirs(DIR, exist_ok=True)
    server = Server(("127.0.0.1", PORT), Handler)
    with open(os.path.join(DIR, "pid"), "w") as f:
        f.write(str(os.getpid()))
    server.serve_forever()


if __name__ == "__main__":
    main()
