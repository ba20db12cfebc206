"""One SQL statement made of parts, each written by the app that owns the tables it touches.

A hot path that must be one round trip (checkout: everything it reads in one statement,
everything it writes in another) is a `WITH` statement whose common table expressions come
from different owners (docs/architecture.md): catalog's stock reservation, orders' order, line
and timeline inserts, a task row. Each owner supplies a `Part` (its SQL text, built once, and
the names of the earlier parts it reads) and a function building that part's parameters; the
workflow that needs the statement only lines the parts up and hands each its parameters:

    statement = Statement(reserve, orders, lines, result="placed")
    cursor.execute(statement.sql, statement.params({"reserved": ..., "placed": ..., "lines": ...}))

`Statement` never rewrites a part. It checks, once, that part names are unique and that a part
reads only parts placed before it and declares every one it reads (a part's SQL that mentions
another part's name without declaring it is refused); and, on every call, that each part gets
exactly as many parameters as it has placeholders.

Two shapes:

- a **write** (`result=` one of the parts): `WITH ... SELECT result.*, <guards> FROM result`.
  A part's `guard` is an SQL expression evaluated for every result row that raises (with the
  part's `guard_sqlstate`) when the part did not do all it had to, e.g. "not every line got its
  stock": the error undoes the whole statement, and `failed_guard(exc)` names the part.
- a **read** (no result): one row, every column of every part (`columns`), each read part
  yielding at most one row (an aggregate, or a row by primary key): `WITH ... SELECT p.a, q.b
  FROM (SELECT 1) AS one LEFT JOIN p ON true LEFT JOIN q ON true`. `values(row)` splits the row
  back into each part's columns.

Statements are meant to be prepared (`prepared_cursor()`), so a part's SQL is text with `%s`
placeholders and nothing else: no literal `%`.

Also here: `prepared_cursor()`, a Django-wrapped psycopg cursor that prepares every statement
on first use, and `to_json`, the JSON encoder parts use for their row sets.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Part:
    """One common table expression of a statement, written by the app that owns its tables.

    `sql` is the CTE's body (a SELECT, or an INSERT/UPDATE ... RETURNING); `columns` what it
    yields (what later parts and the statement's result may read); `needs` the earlier parts
    its SQL reads. `guard` (optional) is an expression over this part, placed in a write's
    result, that raises `guard_sqlstate` when the part fell short. The part's parameters are
    its `sql` placeholders followed by its `guard` placeholders.
    """

    name: str
    sql: str
    columns: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    guard: str = ""
    guard_sqlstate: str = ""
    sql_params: int = field(init=False)
    guard_params: int = field(init=False)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"part name {self.name!r} is not a plain lower-case SQL name")
        for text in (self.sql, self.guard):
            if "%" in text.replace("%s", ""):
                raise ValueError(f"part {self.name}: only %s placeholders, no literal %")
        if bool(self.guard) != bool(self.guard_sqlstate):
            raise ValueError(f"part {self.name}: a guard names the SQLSTATE it raises")
        object.__setattr__(self, "sql_params", self.sql.count("%s"))
        object.__setattr__(self, "guard_params", self.guard.count("%s"))


def _mentions(sql: str, name: str) -> bool:
    return re.search(rf"(?<![\w.\"]){re.escape(name)}(?![\w\"])", sql) is not None


class Statement:
    """`WITH` the parts, in order, then the result (a write) or every part's columns (a read)."""

    def __init__(self, *parts: Part, result: str | None = None) -> None:
        names = [p.name for p in parts]
        if len(set(names)) != len(names):
            raise ValueError(f"part names repeat: {names}")
        for i, part in enumerate(parts):
            before, after = set(names[:i]), set(names[i + 1:])
            for need in part.needs:
                if need not in before:
                    raise ValueError(f"part {part.name} reads {need}, which is not a part before it")
            for other in sorted(before | after):
                if other not in part.needs and other != part.name and (
                        _mentions(part.sql, other) or _mentions(part.guard, other)):
                    where = "an earlier part it does not declare" if other in before else "a later part"
                    raise ValueError(f"part {part.name} mentions {other}, {where}")
        guard_states = [p.guard_sqlstate for p in parts if p.guard]
        if len(set(guard_states)) != len(guard_states):
            raise ValueError("two guards raise the same SQLSTATE: a failure could not be told apart")
        self.parts = parts
        self.result = result
        ctes = ",\n".join(f"{p.name} AS (\n{p.sql.strip()}\n)" for p in parts)
        if result is not None:
            if result not in names:
                raise ValueError(f"the result {result} is not a part")
            self.result_columns = len(parts[names.index(result)].columns)
            guards = "".join(f",\n  {p.guard} AS {p.name}_guard" for p in parts if p.guard)
            body = f"SELECT {result}.*{guards}\n  FROM {result}"
        else:
            if any(p.guard for p in parts):
                raise ValueError("guards belong to a write (a statement with a result)")
            readers = [p for p in parts if p.columns]
            self._spans = []
            start = 0
            for p in readers:
                self._spans.append((p.name, start, start + len(p.columns)))
                start += len(p.columns)
            columns = ", ".join(f"{p.name}.{c}" for p in readers for c in p.columns)
            joins = "".join(f" LEFT JOIN {p.name} ON true" for p in readers)
            body = f"SELECT {columns}\n  FROM (SELECT 1) AS one{joins}"
        self.sql = f"WITH {ctes}\n{body}"

    def params(self, values: Mapping[str, Sequence[Any]]) -> list[Any]:
        """The statement's parameters: each part's own (`values[name]`: its SQL's, then its guard's)."""
        unknown = set(values) - {p.name for p in self.parts}
        if unknown:
            raise ValueError(f"parameters for parts that are not in the statement: {sorted(unknown)}")
        out: list[Any] = []
        tail: list[Any] = []
        for part in self.parts:
            given = values.get(part.name, ())
            if len(given) != part.sql_params + part.guard_params:
                raise ValueError(f"part {part.name} takes {part.sql_params + part.guard_params} parameters, "
                                 f"got {len(given)}")
            out.extend(given[:part.sql_params])
            tail.extend(given[part.sql_params:])
        out.extend(tail)
        return out

    def values(self, row: Sequence[Any]) -> dict[str, tuple]:
        """A read's one row, split into each part's columns."""
        return {name: tuple(row[start:end]) for name, start, end in self._spans}

    def failed_guard(self, exc: BaseException) -> str | None:
        """The part whose guard raised `exc` (a database error), or None."""
        state = getattr(getattr(exc, "__cause__", None), "sqlstate", None)
        for part in self.parts:
            if part.guard and part.guard_sqlstate == state:
                return part.name
        return None


def quote(name: str) -> str:
    """A table or column name, quoted for the default database (parts are built for it)."""
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(name)


def typed(field: Any) -> str:
    """A placeholder cast to `field`'s column type, so an INSERT ... SELECT of parameters types
    them as the ORM's INSERT would (text for character columns: a value too long still fails)."""
    if field.get_internal_type() in ("CharField", "TextField", "EmailField", "SlugField", "URLField"):
        return "%s::text"
    return f"%s::{field.db_type(connections[DEFAULT_DB_ALIAS])}"


# --- Prepared statements ---------------------------------------------------------------------

# Django opens psycopg connections with `prepare_threshold=None` (no statement is ever prepared,
# so that transaction-mode poolers keep working). `prepared_cursor()` asks for preparation
# explicitly, which psycopg honours only when the threshold is a number: we set one so high that
# nothing but an explicit request ever prepares (Django's own cursors bind client-side and never
# prepare anyway). Behind a transaction-mode pooler, set SOUK_CHECKOUT_PREPARE=0.
_ONLY_WHEN_ASKED = 2**31
PREPARE = os.environ.get("SOUK_CHECKOUT_PREPARE", "1") != "0"


def _prepared_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor  # noqa: PLC0415 - PostgreSQL only

    class PreparedCursor(ServerBindingCursor):
        """Django's server-side-binding cursor, preparing every statement on first use."""

        def execute(self, query, params=None, *, prepare=PREPARE, binary=None):  # noqa: ANN001, ANN201
            return super().execute(query, params, prepare=prepare, binary=binary)

        def _send_query_prepared(self, name, pgq, *, binary=None):  # noqa: ANN001, ANN202
            # psycopg records the query only when it is not prepared; Django's query log reads it.
            self._query = pgq
            return super()._send_query_prepared(name, pgq, binary=binary)

    return PreparedCursor


_CURSOR_CLASS: list[type] = []


def prepared_cursor():
    """PostgreSQL: a cursor that prepares its statements (parsed and planned once per connection),
    wrapped by Django like any other, so query logging and `CaptureQueriesContext` see them."""
    if not _CURSOR_CLASS:
        _CURSOR_CLASS.append(_prepared_cursor_class())
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    db.validate_thread_sharing()
    if PREPARE and db.connection.prepare_threshold is None:
        db.connection.prepare_threshold = _ONLY_WHEN_ASKED
    raw = _CURSOR_CLASS[0](db.connection)
    return db.make_debug_cursor(raw) if db.queries_logged else db.make_cursor(raw)


# --- JSON row sets ---------------------------------------------------------------------------

def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# Row sets travel as one JSON parameter: PostgreSQL then estimates the same row counts whatever the
# values, so a prepared statement's generic plan is as good as a custom one and is kept.
to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_json_default).encode

# A JSON array of ids, as a set of bigints (`WHERE id IN {IDS}`).
IDS = "(SELECT x::bigint FROM json_array_elements_text(%s::json) AS x)"
