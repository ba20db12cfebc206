"""Messaging reads: a conversation with its messages, the user's conversations, the unread badge.

Every function runs a fixed number of queries. `unread_count` is one indexed
SUM (index `participant_user_unread`), cheap enough for every page header.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q, Sum, Window
from django.db.models.functions import RowNumber

from souk.catalog.models import Store
from souk.core.errors import NotFound, ValidationFailed
from souk.messaging.conf import setting
from souk.messaging.models import Conversation, Message, Participant
from souk.orders.models import Order

MAX_LIMIT = 100


@dataclass(frozen=True)
class ConversationView:
    """What a conversation page shows. `conversation` is None until the first message."""

    conversation: Conversation | None
    messages: list[Message]
    role: str                        # "buyer" or "seller": the viewer's side
    last_read_message_id: int | None  # messages after this one are new to the viewer
    unread_count: int
    has_older: bool
    order: Order | None = None
    store: Store | None = None


def unread_count(*, user) -> int:
    """Unread messages across all of `user`'s conversations. One indexed query."""
    if not getattr(user, "is_authenticated", False):
        return 0
    total = (Participant.objects.filter(user=user, unread_count__gt=0)
             .aggregate(total=Sum("unread_count"))["total"])
    return total or 0


def _messages(conversation_id: int, *, before: int | None, limit: int) -> tuple[list[Message], bool]:
    qs = Message.objects.filter(conversation_id=conversation_id).select_related("sender")
    if before is not None:
        qs = qs.filter(pk__lt=before)
    newest_first = list(qs.order_by("-id")[:limit + 1])
    has_older = len(newest_first) > limit
    return list(reversed(newest_first[:limit])), has_older


def _view(conversation: Conversation | None, member: Participant | None, *, role: str, before: int | None,
          limit: int | None, order: Order | None = None, store: Store | None = None) -> ConversationView:
    limit = min(max(1, limit or setting("MESSAGE_PAGE_SIZE")), setting("MESSAGE_PAGE_SIZE"))
    if conversation is None:
        return ConversationView(None, [], role, None, 0, False, order=order, store=store)
    messages, has_older = _messages(conversation.pk, before=before, limit=limit)
    return ConversationView(conversation, messages, role, member.last_read_message_id if member else None,
                            member.unread_count if member else 0, has_older, order=order,
                            store=store or conversation.store)


def conversation_for_order(*, user, order_id: int | None = None, number: str | None = None,
                           before: int | None = None, limit: int | None = None
                           ) -> tuple[Conversation | None, list[Message]]:
    """The order's buyer–seller conversation and its latest messages (oldest first). 404 for anyone else.

    Three queries whatever the number of messages.
    """
    view = order_conversation(user=user, order_id=order_id, number=number, before=before, limit=limit)
    return view.conversation, view.messages


def order_conversation(*, user, order_id: int | None = None, number: str | None = None,
                       before: int | None = None, limit: int | None = None) -> ConversationView:
    """Like `conversation_for_order`, with the viewer's read state, for pages and the API."""
    key = {"pk": order_id} if order_id is not None else {"number": number}
    order = (Order.objects.select_related("store", "conversation").filter(**key)
             .filter(Q(buyer=user) | Q(store__owner=user)).first())
    if order is None:
        raise NotFound("No such order.", code="order_not_found")
    role = Participant.Role.BUYER if order.buyer_id == user.pk else Participant.Role.SELLER
    conversation = getattr(order, "conversation", None)
    member = None
    if conversation is not None:
        member = Participant.objects.filter(conversation=conversation, user=user).first()
    return _view(conversation, member, role=role, before=before, limit=limit, order=order, store=order.store)


def store_conversation(*, user, slug: str, before: int | None = None, limit: int | None = None
                       ) -> ConversationView:
    """The buyer's pre-purchase conversation with a store (empty until the first message)."""
    store = Store.objects.filter(slug=slug, is_active=True).first()
    if store is None:
        raise NotFound("No such store.", code="store_not_found")
    member = (Participant.objects.select_related("conversation")
              .filter(user=user, conversation__store=store, conversation__buyer=user,
                      conversation__order__isnull=True).first())
    return _view(member.conversation if member else None, member, role=Participant.Role.BUYER, before=before,
                 limit=limit, store=store)


def conversation_detail(*, user, conversation_id: int, before: int | None = None, limit: int | None = None
                        ) -> ConversationView:
    """Any conversation `user` is part of (the seller's way into a pre-purchase question). 404 otherwise."""
    member = (Participant.objects.select_related("conversation__order", "conversation__store")
              .filter(user=user, conversation_id=conversation_id).first())
    if member is None:
        raise NotFound("No such conversation.", code="conversation_not_found")
    conversation = member.conversation
    return _view(conversation, member, role=member.role, before=before, limit=limit, order=conversation.order,
                 store=conversation.store)


@dataclass(frozen=True)
class ConversationRow:
    id: int
    role: str
    store_name: str
    store_slug: str
    order_number: str | None
    other_party: str
    unread_count: int
    last_message_id: int
    last_message_at: datetime | None
    last_message_preview: str
    last_message_kind: str


@dataclass(frozen=True)
class ConversationPage:
    items: list[ConversationRow]
    next_cursor: str | None


PREVIEW = 120


def conversations_for_user(*, user, cursor: str | None = None, limit: int = 20) -> ConversationPage:
    """`user`'s conversations (as buyer or seller), most recently active first, keyset-paginated.

    Two queries: the participant rows (index `participant_user_recent`) with
    their conversation, store, order and buyer, then the last messages.
    """
    limit = min(max(1, int(limit)), MAX_LIMIT)
    qs = (Participant.objects.filter(user=user, last_message_id__gt=0)
          .select_related("conversation__store", "conversation__order", "conversation__buyer")
          .order_by("-last_message_id", "-id"))
    if cursor:
        try:
            before = int(cursor)
            if not 0 < before < 2**63:
                raise ValueError(cursor)
        except ValueError:
            raise ValidationFailed("This page link is not valid; start from the first page.",
                                   code="invalid_cursor", field="cursor") from None
        qs = qs.filter(last_message_id__lt=before)
    members = list(qs[:limit + 1])
    more = len(members) > limit
    members = members[:limit]
    last = Message.objects.in_bulk([m.last_message_id for m in members])
    items = []
    for m in members:
        c = m.conversation
        message = last.get(m.last_message_id)
        body = message.body if message else ""
        items.append(ConversationRow(
            id=c.pk, role=m.role, store_name=c.store.name, store_slug=c.store.slug,
            order_number=c.order.number if c.order_id else None,
            other_party=c.store.name if m.role == Participant.Role.BUYER else c.buyer.name,
            unread_count=m.unread_count, last_message_id=m.last_message_id, last_message_at=c.last_message_at,
            last_message_preview=body if len(body) <= PREVIEW else body[:PREVIEW - 1] + "…",
            last_message_kind=message.kind if message else "",
        ))
    return ConversationPage(items, str(members[-1].last_message_id) if more and members else None)


def order_messages_for_review(*, order_id: int, limit: int = 100) -> list[Message]:
    """The order's buyer–seller messages, newest `limit` oldest first, for Souk staff reviewing a
    dispute (souk/disputes/selectors.py). No participant check: callers are staff-only paths."""
    rows = list(Message.objects.filter(conversation__order_id=order_id).select_related("sender")
                .order_by("-id")[:limit])
    return rows[::-1]


def orders_messages_for_review(*, order_ids: list[int], limit: int = 100) -> dict[int, list[Message]]:
    """`order_messages_for_review` for many orders in one query (staff's escalations page): each
    order's newest `limit` messages, oldest first."""
    if not order_ids:
        return {}
    rows = (Message.objects.filter(conversation__order_id__in=order_ids).select_related("sender")
            .annotate(order_id=F("conversation__order_id"),
                      recent=Window(RowNumber(), partition_by=[F("conversation__order_id")],
                                    order_by=F("id").desc()))
            .filter(recent__lte=limit).order_by("id"))
    out: dict[int, list[Message]] = {pk: [] for pk in order_ids}
    for message in rows:
        out[message.order_id].append(message)
    return out
