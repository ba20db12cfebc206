"""API schemas every app shares: money as it goes over the wire, and the base of JSON bodies."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import ConfigDict, model_validator

from souk.core.money import minor_to_decimal_str


class MoneyOut(Schema):
    amount: str = Field(description="exact decimal string in the currency's precision", examples=["12.50"])
    currency: str = Field(description="ISO 4217 code", examples=["USD"])

    @staticmethod
    def of(minor: int, currency: str) -> MoneyOut:
        return MoneyOut(amount=minor_to_decimal_str(minor, currency), currency=currency)


def money(minor: int, currency: str) -> dict[str, str]:
    """Money as the API sends it: {"amount": "12.50", "currency": "USD"}."""
    return {"amount": minor_to_decimal_str(minor, currency), "currency": currency}


class ObjectIn(Schema):
    """A JSON object body. Ninja's Schema would read attributes off any value, so `[]` or
    `null` would pass as "all fields omitted"; refuse them instead. (NUL characters are
    refused for every API request by souk.core.middleware.)"""

    @model_validator(mode="before")
    @classmethod
    def _must_be_an_object(cls, value: Any) -> Any:
        raw = value._obj if isinstance(value, DjangoGetter) else value
        if not isinstance(raw, dict):
            raise ValueError("The body must be a JSON object.")
        return value


class StrictObjectIn(ObjectIn):
    """ObjectIn with strict types: `0` is not `false`, `"5"` is not `5`."""

    model_config = ConfigDict(strict=True)


class UnreadCountOut(Schema):
    unread: int = Field(ge=0, description="how many are unread")
