"""Messaging API: order and store conversations, the conversation list, the unread badge. Thin."""

from __future__ import annotations

from ninja import Field, Path, Query, Router, Schema, Status

from souk.core.schemas import ID_CURSOR_PATTERN, MAX_ID, UnreadCountOut, stated
from souk.messaging import schemas as s
from souk.messaging import selectors, services

router = Router(tags=["messaging"])
SENT = {201: s.ConversationOut, 429: s.RateLimitedOut}


class MessagePageParams(Schema):
    before: int | None = Field(None, ge=1, le=MAX_ID, description="a message id: show the messages before it")
    limit: int | None = Field(None, ge=1, le=selectors.MAX_LIMIT)


class ConversationListParams(Schema):
    cursor: str | None = Field(None, json_schema_extra=stated(pattern=ID_CURSOR_PATTERN),
                               description="`next_cursor` of the previous page (422 `invalid_cursor` otherwise)")
    limit: int = Field(20, ge=1, le=selectors.MAX_LIMIT)


def _sent(request, view) -> Status:
    return Status(201, s.conversation_out(view, request.user))


@router.get("/orders/{number}/messages", response=s.ConversationOut,
            summary="The order's conversation with the seller (or buyer), latest messages oldest first")
def order_messages(request, number: str, params: Query[MessagePageParams]):
    view = selectors.order_conversation(user=request.user, number=number, before=params.before,
                                        limit=params.limit)
    return s.conversation_out(view, request.user)


@router.post("/orders/{number}/messages", response=SENT,
             summary="Send a message about the order (429 `rate_limited` when sending too fast)")
def send_order_message(request, number: str, payload: s.MessageIn):
    services.message_send(sender=request.user, order_number=number, body=payload.body)
    return _sent(request, selectors.order_conversation(user=request.user, number=number))


@router.post("/orders/{number}/messages/read", response=s.ReadOut, summary="Mark the order's conversation read")
def read_order_messages(request, number: str):
    conversation_id = services.conversation_mark_read(user=request.user, order_number=number)
    return {"conversation_id": conversation_id or None}


@router.get("/stores/{slug}/messages", response=s.ConversationOut,
            summary="Your conversation with a store before buying (empty until you write)")
def store_messages(request, slug: str, params: Query[MessagePageParams]):
    view = selectors.store_conversation(user=request.user, slug=slug, before=params.before, limit=params.limit)
    return s.conversation_out(view, request.user)


@router.post("/stores/{slug}/messages", response=SENT, summary="Ask a store a question before buying")
def send_store_message(request, slug: str, payload: s.MessageIn):
    services.message_send(sender=request.user, store_slug=slug, body=payload.body)
    return _sent(request, selectors.store_conversation(user=request.user, slug=slug))


@router.get("/conversations", response=s.ConversationListOut,
            summary="Your conversations as buyer and seller, most recently active first, cursor-paginated")
def list_conversations(request, params: Query[ConversationListParams]):
    return s.page_out(selectors.conversations_for_user(user=request.user, cursor=params.cursor,
                                                       limit=params.limit))


@router.get("/conversations/{conversation_id}", response=s.ConversationOut, summary="One of your conversations")
def conversation(request, params: Query[MessagePageParams], conversation_id: int = Path(..., ge=1, le=MAX_ID)):
    view = selectors.conversation_detail(user=request.user, conversation_id=conversation_id,
                                         before=params.before, limit=params.limit)
    return s.conversation_out(view, request.user)


@router.post("/conversations/{conversation_id}/messages", response=SENT,
             summary="Reply in one of your conversations (how a seller answers a pre-purchase question)")
def reply(request, payload: s.MessageIn, conversation_id: int = Path(..., ge=1, le=MAX_ID)):
    services.message_send(sender=request.user, conversation_id=conversation_id, body=payload.body)
    return _sent(request, selectors.conversation_detail(user=request.user, conversation_id=conversation_id))


@router.post("/conversations/{conversation_id}/read", response=s.ReadOut, summary="Mark a conversation read")
def read_conversation(request, conversation_id: int = Path(..., ge=1, le=MAX_ID)):
    return {"conversation_id": services.conversation_mark_read(user=request.user,
                                                                conversation_id=conversation_id)}


@router.get("/messages/unread-count", response=UnreadCountOut, summary="Unread messages across your conversations")
def messages_unread_count(request):
    return {"unread": selectors.unread_count(user=request.user)}
