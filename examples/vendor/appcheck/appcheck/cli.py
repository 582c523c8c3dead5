"""`appcheck APP.py`: starts the app's server on a free loopback port and checks its API."""
import argparse
import importlib.util
import json
import sys
import threading
import urllib.request


def load(path):
    spec = importlib.util.spec_from_file_location("app_under_check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fetch(base, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, json.loads(response.read())


def main(argv=None):
    parser = argparse.ArgumentParser(prog="appcheck", description=__doc__)
    parser.add_argument("app", help="path to app.py")
    args = parser.parse_args(argv)

    app = load(args.app)
    server = app.make_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % server.server_address[1]
    failures = []

    def check(name, condition):
        print(("ok   " if condition else "FAIL ") + name)
        if not condition:
            failures.append(name)

    try:
        status, body = fetch(base, "/health")
        check("GET /health answers ok", status == 200 and body.get("status") == "ok")
        status, body = fetch(base, "/stats?values=2,4,4,4,5,5,7,9")
        check("GET /stats computes mean and pstdev", body.get("mean") == 5.0 and body.get("pstdev") == 2.0)
        status, body = fetch(base, "/items", {"name": "widget", "price": 2.5})
        check("POST /items creates an item", status == 201 and body.get("id") == 1)
        status, body = fetch(base, "/items")
        check("GET /items lists it", [i["name"] for i in body.get("items", [])] == ["widget"])
    finally:
        server.shutdown()
    print("appcheck: %d of 4 checks passed" % (4 - len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
