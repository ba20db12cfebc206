"""`make bench`: pgbench's TPC-B-like tps and Souk's rates, in one run, as ratios.

Scenarios are the modules `bench/scenario_*.py`. Each defines

    TITLE = "what it measures"
    def run(ctx: Context) -> list[Row]

and gets an empty, migrated PostgreSQL database (flushed between scenarios).
`ctx.clients(fn)` runs `fn(index, deadline)` in N processes for the configured
time and returns operations per second. Writes the table to docs/benchmarks.md
("Latest run") and prints it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import re
import sys
from pathlib import Path

from bench import pg
from bench.core import Context, Row

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"


def scenarios(only: list[str] | None) -> list[str]:
    names = sorted(p.stem for p in (ROOT / "bench").glob("scenario_*.py"))
    if only:
        names = [n for n in names if any(o in n for o in only)]
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "20")))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--only", nargs="*", help="run only scenarios whose name contains one of these")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()

    admin_url = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/test")
    print(f"pgbench TPC-B-like, {args.clients} clients, scale 8, {args.seconds}s ...", flush=True)
    tps = pg.pgbench_tps(admin_url, clients=args.clients, seconds=args.seconds)
    print(f"  {tps:,.0f} tps", flush=True)
    rows = [Row("pgbench TPC-B-like (8 clients, scale 8)", f"{tps:,.0f} tps", "1.000", "yardstick")]

    bench_db = os.environ.get("BENCH_DB", f"souk_bench_{os.getpid()}")  # per run, dropped at the end
    os.environ["DATABASE_URL"] = pg.recreate_database(admin_url, bench_db)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "souk.settings")
    os.environ["SOUK_FAST_PASSWORD_HASHER"] = "1"
    os.environ.setdefault("SOUK_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    ctx = Context(pgbench_tps=tps, client_count=args.clients, seconds=args.seconds)
    for name in scenarios(args.only):
        module = importlib.import_module(f"bench.{name}")
        print(f"{module.TITLE} ...", flush=True)
        call_command("flush", interactive=False, verbosity=0)
        new_rows = module.run(ctx)
        for row in new_rows:
            print(f"  {row.what}: {row.value}  {row.ratio}", flush=True)
        rows.extend(new_rows)

    from django.db import connections

    connections.close_all()
    if "BENCH_DB" not in os.environ:
        pg.drop_database(admin_url, bench_db)
    report = render(rows, ctx, pg.server_version(admin_url))
    print(report)
    if not args.no_write:
        write_doc(report)


def render(rows: list[Row], ctx: Context, server: str) -> str:
    head = (f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
            f"({os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
            f"PostgreSQL {server} with default settings, fsync on); {ctx.client_count} clients, "
            f"{ctx.seconds}s per measurement.\n\n")
    table = "| what | measured | ratio | goal |\n| --- | ---: | ---: | --- |\n"
    table += "".join(f"| {r.what} | {r.value} | {r.ratio} | {r.goal} |\n" for r in rows)
    notes = "".join(f"\n- {n}" for n in ctx.notes)
    return head + table + (f"\nNotes:{notes}\n" if notes else "")


def write_doc(report: str) -> None:
    start, end = "<!-- latest-run:start -->", "<!-- latest-run:end -->"
    text = DOC.read_text() if DOC.exists() else f"# Benchmarks\n\n## Latest run\n{start}\n{end}\n"
    if start not in text:
        text += f"\n## Latest run\n{start}\n{end}\n"
    text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: f"{start}\n{report}{end}", text,
                  flags=re.S)
    DOC.write_text(text)
    print(f"written to {DOC.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
