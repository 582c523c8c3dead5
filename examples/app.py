"""A small HTTP JSON API: the seed's example app, on Python's standard library.

The seed uses FastAPI + uvicorn. Those come from PyPI, which the machines that build this example
cannot reach, so the server is `http.server` from the standard library and the one third-party
dependency is `fastcalc`, a C extension in vendor/ that pip compiles from local source.

    python app.py --host 0.0.0.0 --port 8000
    curl localhost:8000/stats?values=1,2,3
"""
import argparse
import json
import platform
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import fastcalc

_items = []
_items_lock = threading.Lock()


class ApiHandler(BaseHTTPRequestHandler):
    server_version = "stagelens-example/1.0"

    def _send(self, status, body):
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/":
            self._send(200, {"message": "Hello from the multi-stage example", "python": platform.python_version()})
        elif url.path == "/health":
            self._send(200, {"status": "ok"})
        elif url.path == "/stats":
            raw = parse_qs(url.query).get("values", [""])[0]
            try:
                values = [float(v) for v in raw.split(",") if v.strip()]
                self._send(200, {"count": len(values), "mean": fastcalc.mean(values), "pstdev": fastcalc.pstdev(values)})
            except ValueError as error:
                self._send(400, {"error": str(error) or "values must be numbers"})
        elif url.path == "/items":
            with _items_lock:
                self._send(200, {"items": list(_items)})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self):
        if urlsplit(self.path).path != "/items":
            self._send(404, {"error": "not found"})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            item = {"name": str(body["name"]), "price": float(body.get("price", 0))}
        except (ValueError, KeyError, TypeError):
            self._send(400, {"error": "expected JSON {\"name\": str, \"price\": number}"})
            return
        with _items_lock:
            item["id"] = len(_items) + 1
            _items.append(item)
        self._send(201, item)

    def log_message(self, fmt, *args):
        print("%s %s" % (self.address_string(), fmt % args), flush=True)


def make_server(host, port):
    return ThreadingHTTPServer((host, port), ApiHandler)


def main():
    parser = argparse.ArgumentParser(description="Example HTTP API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    server = make_server(args.host, args.port)
    print("serving on http://%s:%d" % (args.host, args.port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
