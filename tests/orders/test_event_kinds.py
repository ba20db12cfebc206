"""The order timeline's kinds are one enumeration, EventKind (souk/orders/event_kinds.py).

The walk reads every `souk` module's source (AST) for what it writes to the timeline:
`events.record(kind=...)`, `events.record_many(kind=...)`, `OrderEvent(kind=...)` (the bulk writers),
`OrderEvent.objects.create(kind=...)`, and the timeline's SQL insert, a part of checkout's one statement
(its kind comes in `record_many_params(kind=...)`, see SQL_WRITERS). A kind given as
a name is followed to its value (a local, a module constant, a tuple a method of the module returns,
`EventKind.X`, `Action.X`; `Action(...)` is any action: `transition()` records the action's name).
A kind the walk cannot follow must be declared in DECLARED with the values it can take.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client

import souk
from souk.orders import events
from souk.orders.event_kinds import EventKind
from souk.orders.models import OrderEvent
from souk.orders.status import Action
from souk.payments.models import Refund
from tests.orders.conftest import place

SOUK = Path(souk.__file__).resolve().parent
ROOT = SOUK.parent
ACTIONS = frozenset(a.value for a in Action)

# (module, expression) -> the kinds it can be. An empty set: it relays a kind walked at each call.
DECLARED: dict[tuple[str, str], frozenset[str]] = {
    ("souk/orders/events.py", "kind"): frozenset(),  # record()'s own argument
    ("souk/disputes/services/core.py", "kind"): frozenset(),  # disputes' record() relays its callers' kinds
    # refunds.py records a refund's end only for these states (`if cols.get("state") in (...)`).
    ("souk/payments/services/refunds.py", "f\"refund_{cols['state']}\""): frozenset(
        f"refund_{state}" for state in (Refund.State.SUCCEEDED, Refund.State.FAILED, Refund.State.CANCELED)),
}

# Modules that INSERT timeline rows in SQL -> (the function, its argument carrying the kind, or the
# event tuple with the kind's index in it). The walk follows that argument at each call.
SQL_WRITERS: dict[str, tuple[str, str, int | None]] = {
    "souk/orders/events.py": ("record_many_params", "kind", None),
}


class Unresolved(Exception):
    pass


@dataclass(frozen=True)
class Write:
    kinds: frozenset[str]
    path: str
    line: int


class Walk:
    def __init__(self, sources: dict[str, str]):
        self.writes: list[Write] = []
        self.unresolved: list[tuple[str, int, str]] = []
        self.declared_seen: set[tuple[str, str]] = set()
        self.sql_inserts: set[str] = set()
        for path, source in sources.items():
            self.path, self.tree = path, ast.parse(source)
            self.parents = {c: p for p in ast.walk(self.tree) for c in ast.iter_child_nodes(p)}
            self.constants = {t.id: n.value.value for n in self.tree.body if isinstance(n, ast.Assign)
                              and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                              for t in n.targets if isinstance(t, ast.Name)}
            for node in ast.walk(self.tree):
                if isinstance(node, ast.Call):
                    self._call(node)
                elif isinstance(node, ast.JoinedStr) and _inserts_events(node):
                    self.sql_inserts.add(path)

    def _call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        creates = (name in ("create", "get_or_create", "update_or_create")
                   and "OrderEvent" in ast.unparse(func))
        writes_kind = name in ("record", "record_many", "OrderEvent") or creates
        if writes_kind and "kind" in kwargs:
            self._write(kwargs["kind"], node, None)
        for module, (function, argument, index) in SQL_WRITERS.items():
            target = module.removesuffix(".py").rsplit("/", 1)[-1]
            if (name == function and argument in kwargs
                    and (self.path == module or target in ast.unparse(func) or isinstance(func, ast.Name))):
                self._write(kwargs[argument], node, index)

    def _write(self, expr: ast.AST, node: ast.AST, index: int | None) -> None:
        try:
            kinds = self.resolve(expr, index)
        except Unresolved:
            key = (self.path, ast.unparse(expr))
            if key not in DECLARED:
                self.unresolved.append((self.path, node.lineno, ast.unparse(expr)))
                return
            self.declared_seen.add(key)
            kinds = set(DECLARED[key])
        self.writes.append(Write(frozenset(kinds), self.path, node.lineno))

    def resolve(self, expr: ast.AST, index: int | None = None, depth: int = 0) -> set[str]:
        if depth > 8:
            raise Unresolved
        if index is not None:  # the kind is element `index` of a tuple this expression gives
            if isinstance(expr, ast.Tuple):
                return self.resolve(expr.elts[index], None, depth + 1)
            if isinstance(expr, ast.Call):
                return self._returned(expr, index, depth)
            raise Unresolved
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return {expr.value}
        if isinstance(expr, ast.IfExp):
            return self.resolve(expr.body, None, depth + 1) | self.resolve(expr.orelse, None, depth + 1)
        if isinstance(expr, ast.Attribute):
            if expr.attr == "value":
                return self.resolve(expr.value, None, depth + 1)
            owner = ast.unparse(expr.value).rsplit(".", 1)[-1]
            if owner == "EventKind":
                return {EventKind[expr.attr].value}
            if owner == "Action":
                return {Action[expr.attr].value}
        if isinstance(expr, ast.Call) and ast.unparse(expr.func).rsplit(".", 1)[-1] == "Action":
            return set(ACTIONS)  # Action(x): whichever action transition() was given
        if isinstance(expr, ast.Name):
            return self._name(expr, depth)
        raise Unresolved

    def _name(self, expr: ast.Name, depth: int) -> set[str]:
        scope = self._enclosing_function(expr)
        found: set[str] = set()
        assigned = False
        for node in ast.walk(scope) if scope is not None else ():
            if not isinstance(node, ast.Assign):
                continue
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == expr.id:
                    found |= self.resolve(node.value, None, depth + 1)
                    assigned = True
                elif isinstance(target, ast.Tuple):
                    names = [getattr(e, "id", None) for e in target.elts]
                    if expr.id in names:
                        found |= self.resolve(node.value, names.index(expr.id), depth + 1)
                        assigned = True
        if assigned:
            return found
        if expr.id in self.constants:
            return {self.constants[expr.id]}
        raise Unresolved

    def _returned(self, call: ast.Call, index: int, depth: int) -> set[str]:
        """Element `index` of what the module's function or method `call` names returns."""
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        defs = [n for n in ast.walk(self.tree) if isinstance(n, ast.FunctionDef) and n.name == name]
        returns = [r.value for d in defs for r in ast.walk(d)
                   if isinstance(r, ast.Return) and r.value is not None]
        if not returns:
            raise Unresolved
        found: set[str] = set()
        for value in returns:
            found |= self.resolve(value, index, depth + 1)
        return found

    def _enclosing_function(self, node: ast.AST) -> ast.AST | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None

    @property
    def kinds(self) -> set[str]:
        return {k for w in self.writes for k in w.kinds}


def _inserts_events(node: ast.JoinedStr) -> bool:
    text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return "INSERT INTO" in text and any(isinstance(v, ast.FormattedValue) and "OrderEvent" in ast.unparse(v)
                                         for v in node.values)


def souk_sources() -> dict[str, str]:
    return {f.relative_to(ROOT).as_posix(): f.read_text() for f in sorted(SOUK.rglob("*.py"))
            if "/migrations/" not in f.as_posix()}


@pytest.fixture(scope="module")
def walk() -> Walk:
    return Walk(souk_sources())


def test_the_walk_finds_the_timeline_writers(walk):
    """Guards the walk itself: one that finds nothing would pass everything below."""
    found = {(w.path, k) for w in walk.writes for k in w.kinds}
    for expected in [("souk/orders/placing.py", "order_placed"),             # record_many (bulk_create)
                     ("souk/cancellations/services/timers.py", "cancel"),  # bulk_create, a literal
                     ("souk/orders/services.py", "confirm_receipt"),       # transition(): Action(action)
                     ("souk/payments/services/refunds.py", "refund_failed"),  # declared
                     ("souk/compliance/services/protection.py", "protection_extended")]:
        assert expected in found
    sql = [w for w in walk.writes if w.path == "souk/orders/placing.py" and w.kinds == {"order_placed"}]
    assert len(sql) == 2  # the ORM path (record_many) and the statement's part (record_many_params)


def test_every_kind_souk_writes_is_an_event_kind(walk):
    unknown = sorted(f"{w.path}:{w.line} {k!r}" for w in walk.writes for k in w.kinds
                     if k not in EventKind.values)
    assert not unknown, f"add these to souk/orders/event_kinds.py, then run `souk apidoc`: {unknown}"


def test_every_event_kind_is_written_somewhere(walk):
    assert set(EventKind.values) - walk.kinds == set(), "EventKind lists a kind nothing writes"


def test_every_action_of_the_status_table_is_an_event_kind():
    assert set(EventKind.values) >= ACTIONS
    assert all(EventKind(a.value).label for a in Action)


def test_every_kind_is_followed_to_its_value_or_declared(walk):
    assert not walk.unresolved, (
        "cannot tell which kind these write: use EventKind.X (or a literal), or declare the expression in "
        f"DECLARED with the kinds it can be: {walk.unresolved}")
    assert set(DECLARED) == walk.declared_seen, "DECLARED lists expressions no longer in the code"


def test_every_sql_insert_into_the_timeline_is_followed(walk):
    assert walk.sql_inserts == set(SQL_WRITERS), "a new SQL writer of OrderEvent: add it to SQL_WRITERS"


def test_a_kind_written_without_being_listed_is_caught():
    source = ("from souk.orders import events\n"
              "def f(order, thing):\n"
              "    events.record(order_id=order.pk, kind='brand_new_kind', actor_role='system')\n"
              "    OrderEvent(order_id=order.pk, kind=thing.kind, actor_role='system')\n")
    walk = Walk({"souk/orders/synthetic.py": source})
    assert walk.kinds == {"brand_new_kind"} and "brand_new_kind" not in EventKind.values
    assert walk.unresolved == [("souk/orders/synthetic.py", 4, "thing.kind")]


def test_each_kind_has_a_label_and_fits_the_column():
    max_length = OrderEvent._meta.get_field("kind").max_length
    for kind in EventKind:
        assert kind.label and kind.label != kind.value and len(kind.value) <= max_length, kind


def test_record_refuses_a_kind_that_is_not_listed(buyer, store_a):
    order = place(buyer, (store_a[1], 1))[0]
    before = OrderEvent.objects.filter(order=order).count()
    with pytest.raises(ValueError, match="not an order event kind"):
        events.record(order_id=order.pk, kind="message_sent", actor_role="buyer", actor=buyer)
    assert OrderEvent.objects.filter(order=order).count() == before
    event = events.record(order_id=order.pk, kind=EventKind.PROTECTION_EXTENDED, actor_role="buyer",
                          actor=buyer)
    assert OrderEvent.objects.get(pk=event.pk).kind == "protection_extended"


def test_the_order_api_shows_each_event_with_its_label(buyer, store_a):
    order = place(buyer, (store_a[1], 1))[0]
    events.record(order_id=order.pk, kind=EventKind.ADDRESS_FIXED, actor_role="buyer", actor=buyer)
    client = Client()
    client.force_login(buyer)
    body = client.get(f"/api/orders/{order.number}").json()
    assert [(e["kind"], e["kind_label"]) for e in body["events"]] == [
        ("order_placed", "Order placed"), ("address_fixed", "Address fixed")]


def test_souk_apidoc_lists_every_kind_with_its_label():
    from souk.web.management.commands.apidoc import event_kind_table

    table = event_kind_table()
    assert all(f"| `{kind.value}` | {kind.label} |" in table for kind in EventKind)
