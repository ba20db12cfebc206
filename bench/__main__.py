"""`make bench`: pgbench's TPC-B-like tps and Souk's service-layer rates, in one run, as ratios.

Writes the figures to docs/benchmarks.md (the "Latest run" section) and prints them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import sys
from pathlib import Path

from bench import pg

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "20")))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()

    admin_url = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/test")
    rows: list[tuple[str, str, str]] = []

    print(f"pgbench TPC-B-like, {args.clients} clients, scale 8, {args.seconds}s ...", flush=True)
    pgbench = pg.pgbench_tps(admin_url, clients=args.clients, seconds=args.seconds)
    rows.append(("pgbench TPC-B-like (8 clients, scale 8)", f"{pgbench:,.0f} tps", "1.00"))
    print(f"  {pgbench:,.0f} tps", flush=True)

    os.environ["DATABASE_URL"] = pg.recreate_database(admin_url, "souk_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "souk.settings")
    os.environ["SOUK_FAST_PASSWORD_HASHER"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    from bench import checkout
    from bench.harness import run_clients

    call_command("migrate", verbosity=0)
    checkout.seed()
    print(f"Souk checkout through the service layer, {args.clients} client processes, {args.seconds}s ...",
          flush=True)
    rate = run_clients(checkout.client, clients=args.clients, seconds=args.seconds)
    rows.append(("Souk checkout (1 line, service layer)", f"{rate:,.0f} /s", f"{rate / pgbench:.3f}"))
    print(f"  {rate:,.0f} checkouts/s = {rate / pgbench:.1%} of pgbench", flush=True)

    report = render(rows, args, pg.server_version(admin_url))
    print(report)
    if not args.no_write:
        write_doc(report)


def render(rows, args, server: str) -> str:
    head = (f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
            f"({os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
            f"PostgreSQL {server}, fsync on), {args.clients} clients, {args.seconds}s each.\n\n")
    table = "| what | rate | ratio to pgbench |\n| --- | ---: | ---: |\n"
    table += "".join(f"| {a} | {b} | {c} |\n" for a, b, c in rows)
    return head + table


def write_doc(report: str) -> None:
    start, end = "<!-- latest-run:start -->", "<!-- latest-run:end -->"
    text = DOC.read_text() if DOC.exists() else f"# Benchmarks\n\n## Latest run\n{start}\n{end}\n"
    if start not in text:
        text += f"\n## Latest run\n{start}\n{end}\n"
    text = re.sub(re.escape(start) + r".*?" + re.escape(end), f"{start}\n{report}{end}", text, flags=re.S)
    DOC.write_text(text)
    print(f"written to {DOC.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
