"""`souk apidoc`: rewrites the endpoint table of docs/api.md from /api/openapi.json.

`--check` exits non-zero when the table is out of date (the test suite runs it).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

START, END = "<!-- endpoints:start -->", "<!-- endpoints:end -->"
DOC = Path(settings.BASE_DIR) / "docs" / "api.md"


def endpoint_table() -> str:
    from souk.api import api

    schema = api.get_openapi_schema()
    rows = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            tag = (op.get("tags") or ["other"])[0]
            auth = "token or session" if op.get("security") else "public"
            summary = (op.get("summary") or op.get("operationId", "")).replace("|", "\\|")
            rows.append((tag, path, method.upper(), auth, summary))
    rows.sort()
    lines = ["| area | method | path | who | what |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {tag} | {method} | `{path}` | {auth} | {summary} |" for tag, path, method, auth, summary in rows]
    return "\n".join(lines) + "\n"


class Command(BaseCommand):
    help = "Rewrite (or --check) the endpoint table in docs/api.md from the OpenAPI schema."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true")

    def handle(self, *args, check: bool, **options):
        text = DOC.read_text()
        fresh = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: f"{START}\n{endpoint_table()}{END}",
                       text, flags=re.S)
        if check:
            if fresh != text:
                self.stderr.write("docs/api.md is out of date: run `souk apidoc`.")
                sys.exit(1)
            self.stdout.write("docs/api.md is up to date.")
            return
        DOC.write_text(fresh)
        self.stdout.write(f"wrote {DOC}")
