"""Domain errors with stable snake_case codes.

Services raise these; the API edge (souk/api.py) and the pages map them to HTTP
once. A code never changes once shipped: clients switch on it. Each is listed once, in its
app's `error_codes.py` or, when several apps return it, in souk/core/error_codes.py;
docs/api.md ("Error codes") shows them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from souk.core.error_codes import ErrorCode


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


class DomainError(Exception):
    """Base of every error a user can cause. `status` is the HTTP status the API answers."""

    status = 400
    code: str = ErrorCode.BAD_REQUEST

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 errors: list[FieldError] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.errors: list[FieldError] = list(errors or [])
        if field and not self.errors:
            self.errors.append(FieldError(field, self.code, message))

    @property
    def field(self) -> str | None:
        return self.errors[0].field if self.errors else None

    def as_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        return body


class ValidationFailed(DomainError):
    """Input that breaks a rule: names the field(s) and the rule."""

    status = 422
    code = ErrorCode.INVALID_INPUT


class NotFound(DomainError):
    """Also what another user's object looks like: we never confirm it exists."""

    status = 404
    code = ErrorCode.NOT_FOUND


class Forbidden(DomainError):
    status = 403
    code = ErrorCode.FORBIDDEN


class Conflict(DomainError):
    """The request is well-formed but the object's state does not allow it."""

    status = 409
    code = ErrorCode.CONFLICT


@dataclass
class ErrorCollector:
    """Gathers every field error of a form before raising once, so a user sees them all."""

    errors: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, code: str, message: str) -> None:
        self.errors.append(FieldError(field_name, code, message))

    def raise_if_any(self, message: str = "Some fields are not valid.") -> None:
        if self.errors:
            first = self.errors[0]
            raise ValidationFailed(message if len(self.errors) > 1 else first.message,
                                   code=first.code if len(self.errors) == 1 else ErrorCode.INVALID_INPUT,
                                   errors=self.errors)
