"""Requests per second of ONE gunicorn web process (1 worker, 4 threads) on PostgreSQL, for the sizing
table of docs/operations.md (Sizing).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python -m bench.web_rps [--seconds 10] [--clients 8]

A fresh database of the same server (`souk_bench_web_<pid>`, dropped at the end), migrated and seeded with
one store, one product and one buyer per client; gunicorn serves it on a free loopback port; `--clients`
client processes send keep-alive requests for `--seconds` per route, one route after another, and the
answers per second (all 2xx, else the run stops) are printed as a Markdown table. The clients share the
machine's cores with the server, as a balancer's would not: the figures are a floor.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.pg import drop_database, recreate_database

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(clients: int) -> dict:
    import django

    django.setup()
    from souk.accounts.models import Address, User
    from souk.accounts.tokens import token_create
    from souk.catalog.models import Product, ShippingOption, ShippingRate, Store

    seller = User.objects.create_user(email="seller@bench.local", password="bench-password-1")
    store = Store.objects.create(owner=seller, name="Bench", slug="bench", currency="USD", handling_days=5)
    product = Product.objects.create(store=store, title="Gadget", slug="gadget", description="x", price_minor=2000,
                                     currency="USD", stock=10_000_000, length_mm=100, width_mm=50, height_mm=20,
                                     weight_g=250)
    option = ShippingOption.objects.create(store=store, name="Standard", carrier="Post", protection_days=60)
    ShippingRate.objects.create(option=option, country="", cost_minor=300, min_days=7, max_days=15)
    buyers = []
    for i in range(clients):
        user = User.objects.create_user(email=f"buyer{i}@bench.local", password="bench-password-1")
        address = Address.objects.create(user=user, name="Ada", country="US", country_area="CA",
                                         city="Mountain View", street_address="1600 Amphitheatre Pkwy",
                                         postal_code="94043", phone="+16502530000", is_default=True)
        buyers.append({"token": token_create(user=user, name="bench")[1], "address": address.pk})
    return {"product": product.pk, "store": store.pk, "option": option.pk, "buyers": buyers}


def _routes(seed: dict) -> list[tuple[str, str, str, callable]]:
    def checkout(i):
        buyer = seed["buyers"][i]
        return ("POST", "/api/checkout", json.dumps({
            "address_id": buyer["address"], "lines": [{"product_id": seed["product"], "quantity": 1}],
            "shipping": {str(seed["store"]): seed["option"]}}), {"Authorization": f"Bearer {buyer['token']}"})

    return [
        ("GET /healthz (the process alone)", lambda i: ("GET", "/healthz", None, {})),
        ("GET /readyz (database + cache round trips)", lambda i: ("GET", "/readyz", None, {})),
        ("GET /api/products (catalog page, 24 products)", lambda i: ("GET", "/api/products?limit=24", None, {})),
        ("GET /api/orders (a buyer's orders)",
         lambda i: ("GET", "/api/orders", None, {"Authorization": f"Bearer {seed['buyers'][i]['token']}"})),
        ("POST /api/checkout (an order placed)", checkout),
        ("GET /metrics (figures cached 15 s)", lambda i: ("GET", "/metrics", None, {})),
    ]


def _client(port: int, request, index: int, seconds: float, barrier, out) -> None:
    method, path, body, headers = request(index)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    barrier.wait(60)
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        response.read()
        if response.status >= 300:
            raise SystemExit(f"{method} {path}: {response.status}")
        done += 1
    out.put(done)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    admin = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    name = f"souk_bench_web_{os.getpid()}"
    url = recreate_database(admin, name)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "souk.settings", "SOUK_DEV": "1",
           "SOUK_LOG_LEVEL": "WARNING", "SOUK_FAST_PASSWORD_HASHER": "1", "PYTHONPATH": str(ROOT)}
    os.environ.update(env)
    server = None
    try:
        subprocess.run([sys.executable, "-m", "souk.cli", "migrate", "-v0"], env=env, check=True, cwd=ROOT)
        seed = _seed(args.clients)
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "souk.wsgi:application", "--bind",
                                   f"127.0.0.1:{port}", "--workers", "1", "--threads", str(args.threads),
                                   "--log-level", "warning"], env=env, cwd=ROOT)
        for _ in range(300):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        print(f"| route (1 gunicorn worker, {args.threads} threads, {args.clients} clients) | requests/s |")
        print("| --- | ---: |")
        ctx = mp.get_context("fork")
        for label, request in _routes(seed):
            barrier, out = ctx.Barrier(args.clients), ctx.Queue()
            procs = [ctx.Process(target=_client, args=(port, request, i, args.seconds, barrier, out))
                     for i in range(args.clients)]
            for p in procs:
                p.start()
            total = sum(out.get(timeout=args.seconds + 120) for _ in procs)
            for p in procs:
                p.join()
            print(f"| {label} | {total / args.seconds:,.0f} |", flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        from django.db import connections

        connections.close_all()
        drop_database(admin, name)


if __name__ == "__main__":
    main()
