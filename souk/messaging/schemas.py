"""API shapes for messaging. Bodies are plain text, returned exactly as stored: escape on display."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from souk.core.schemas import NOT_BLANK_PATTERN, stated
from souk.messaging.models import BODY_MAX, Message
from souk.messaging.selectors import ConversationPage, ConversationView


class MessageIn(Schema):
    # Declared only: clean_body checks it, with its own codes, after trimming.
    body: str = Field(json_schema_extra=stated(min_length=1, max_length=BODY_MAX, pattern=NOT_BLANK_PATTERN),
                      description=f"plain text, 1 to {BODY_MAX} characters after trimming "
                                  "(`message_empty` / `message_too_long` on `body`)")


class MessageOut(Schema):
    id: int
    kind: str = Field(description="`user`, or `system` for events such as a cancellation request")
    sender_id: int | None
    sender_name: str | None
    mine: bool
    body: str = Field(description="plain text as typed: escape it when displaying")
    data: dict
    created_at: datetime


class ConversationOut(Schema):
    conversation_id: int | None = Field(description="null until the first message")
    role: str = Field(description="the caller's side: `buyer` or `seller`")
    order_number: str | None
    store_slug: str | None
    store_name: str | None
    unread_count: int
    last_read_message_id: int | None
    has_older: bool = Field(description="older messages exist: pass `before=<first message id>`")
    messages: list[MessageOut]


class ConversationRowOut(Schema):
    id: int
    role: str
    store_name: str
    store_slug: str
    order_number: str | None
    other_party: str
    unread_count: int
    last_message_at: datetime | None
    last_message_preview: str
    last_message_kind: str


class ConversationListOut(Schema):
    items: list[ConversationRowOut]
    next_cursor: str | None


class ReadOut(Schema):
    conversation_id: int | None


class RateLimitedOut(Schema):
    code: str
    message: str


def message_out(message: Message, user) -> dict:
    sender = message.sender
    return {"id": message.pk, "kind": message.kind, "sender_id": message.sender_id,
            "sender_name": sender.name if sender is not None else None,
            "mine": message.sender_id == user.pk, "body": message.body, "data": message.data,
            "created_at": message.created_at}


def conversation_out(view: ConversationView, user) -> dict:
    return {
        "conversation_id": view.conversation.pk if view.conversation else None,
        "role": view.role,
        "order_number": view.order.number if view.order else None,
        "store_slug": view.store.slug if view.store else None,
        "store_name": view.store.name if view.store else None,
        "unread_count": view.unread_count,
        "last_read_message_id": view.last_read_message_id,
        "has_older": view.has_older,
        "messages": [message_out(m, user) for m in view.messages],
    }


def page_out(page: ConversationPage) -> dict:
    return {"items": [vars(row) for row in page.items], "next_cursor": page.next_cursor}
