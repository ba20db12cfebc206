"""Messaging writes: send a message, post a system message, mark a conversation read.

One use case = one transaction. Each message updates the conversation's
denormalised `last_message_*` and both participants' unread counters in two
statements, so reads (the unread badge, the conversation list) stay cheap.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Case, F, PositiveIntegerField, Q, Value, When
from django.utils import timezone

from souk.catalog.models import Store
from souk.core.errors import NotFound, ValidationFailed
from souk.messaging.conf import setting
from souk.messaging.errors import RateLimited
from souk.messaging.models import BODY_MAX, Conversation, Message, Participant
from souk.orders.models import Order

PREVIEW_MAX = 200


def _not_found() -> NotFound:
    return NotFound("No such conversation.", code="conversation_not_found")


def clean_body(body: str) -> str:
    """The body as stored: surrounding whitespace stripped, 1..BODY_MAX characters, otherwise 422 on `body`."""
    body = (body or "").strip()
    if "\x00" in body:
        raise ValidationFailed("A message cannot contain NUL characters.", code="invalid_characters",
                               field="body")
    if not body:
        raise ValidationFailed("Write a message first.", code="message_empty", field="body")
    if len(body) > BODY_MAX:
        raise ValidationFailed(f"A message is at most {BODY_MAX} characters ({len(body)} given).",
                               code="message_too_long", field="body")
    return body


def _create_conversation(*, buyer_id: int, store: Store, order: Order | None) -> Conversation:
    """Creates the conversation and its participants; under a race, returns the one that won."""
    lookup = {"order": order} if order is not None else {"buyer_id": buyer_id, "store": store,
                                                         "order__isnull": True}
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(buyer_id=buyer_id, store=store, order=order,
                                                       created_at=timezone.now())
            members = [Participant(conversation=conversation, user_id=buyer_id, role=Participant.Role.BUYER)]
            if store.owner_id != buyer_id:
                members.append(Participant(conversation=conversation, user_id=store.owner_id,
                                           role=Participant.Role.SELLER))
            Participant.objects.bulk_create(members)
            return conversation
    except IntegrityError:
        return Conversation.objects.get(**lookup)


def _order_conversation(order: Order) -> Conversation:
    conversation = Conversation.objects.filter(order=order).first()
    if conversation is None:
        conversation = _create_conversation(buyer_id=order.buyer_id, store=order.store, order=order)
    return conversation


def _append(conversation: Conversation, *, sender, kind: str, body: str, data: dict,
            locked: bool = False) -> Message:
    # One writer per conversation at a time, so message ids follow commit order and the
    # read-state updates below never cross (a sender's "read up to my message" stays true).
    if not locked:
        Conversation.objects.select_for_update(no_key=True).filter(pk=conversation.pk).values_list("pk").first()
    now = timezone.now()
    message = Message.objects.create(conversation=conversation, sender=sender, kind=kind, body=body,
                                     data=data, created_at=now)
    Conversation.objects.filter(pk=conversation.pk).update(last_message_id=message.pk, last_message_at=now)
    conversation.last_message_id, conversation.last_message_at = message.pk, now
    if sender is None:  # a system message is news to everyone
        Participant.objects.filter(conversation=conversation).update(
            last_message_id=message.pk, unread_count=F("unread_count") + 1)
    else:  # the sender has read everything up to their own message
        Participant.objects.filter(conversation=conversation).update(
            last_message_id=message.pk,
            unread_count=Case(When(user_id=sender.pk, then=Value(0)), default=F("unread_count") + 1,
                              output_field=PositiveIntegerField()),
            last_read_message_id=Case(When(user_id=sender.pk, then=Value(message.pk)),
                                      default=F("last_read_message_id"), output_field=BigIntegerField()))
    return message


def post_system_message(*, order, body: str, data: dict | None = None) -> None:
    """Posts an event (e.g. "Cancellation requested") into the order's buyer–seller conversation.

    Runs in the caller's transaction (use it next to the state change it
    reports); creates the conversation if this is its first message. Four
    statements once the conversation exists: find-and-lock it, the message,
    the conversation's and the participants' counters (no savepoint).
    """
    body = (body or "").strip()[:BODY_MAX]
    if not body:
        raise ValueError("a system message needs a body")
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            _append_system_pg(_lock_or_create_pg(order), body=body, data=dict(data or {}))
            return
        # Found and locked in one statement (one writer per conversation, see `_append`).
        conversation_id = (Conversation.objects.select_for_update(no_key=True).filter(order=order)
                           .values_list("pk", flat=True).first())
        if conversation_id is None:
            conversation = _order_conversation(order)
        else:
            conversation = Conversation(pk=conversation_id, order_id=order.pk)
        _append(conversation, sender=None, kind=Message.Kind.SYSTEM, body=body, data=dict(data or {}),
                locked=conversation_id is not None)


def _lock_or_create_pg(order) -> int:
    """PostgreSQL: the order's conversation id, locked like `_append` locks it; created (with its
    participants, one statement, no savepoint) when this is its first message. A conversation we
    create is ours alone until commit; one created meanwhile by another transaction wins the unique
    order and is locked instead."""
    conv, part = (connection.ops.quote_name(m._meta.db_table) for m in (Conversation, Participant))
    with connection.cursor() as cursor:
        for _ in range(2):
            cursor.execute(f"SELECT id FROM {conv} WHERE order_id = %s FOR NO KEY UPDATE", [order.pk])
            row = cursor.fetchone()
            if row is not None:
                return row[0]
            owner_id = order.store.owner_id
            members = [(order.buyer_id, Participant.Role.BUYER.value)]
            if owner_id != order.buyer_id:
                members.append((owner_id, Participant.Role.SELLER.value))
            values = ", ".join(["(%s::bigint, %s)"] * len(members))
            cursor.execute(
                f"WITH c AS (INSERT INTO {conv} (buyer_id, store_id, order_id, created_at) VALUES (%s, %s, %s, %s) "
                f"ON CONFLICT (order_id) DO NOTHING RETURNING id) "
                f"INSERT INTO {part} (conversation_id, user_id, role, unread_count, last_message_id) "
                f"SELECT c.id, v.u, v.r, 0, 0 FROM c, (VALUES {values}) AS v(u, r) RETURNING conversation_id",
                [order.buyer_id, order.store_id, order.pk, timezone.now(), *[x for m in members for x in m]])
            row = cursor.fetchone()
            if row is not None:
                return row[0]
    raise RuntimeError(f"no conversation for order {order.pk}")  # pragma: no cover - the loop finds or makes it


def _append_system_sql() -> str:
    msg, conv, part = (connection.ops.quote_name(m._meta.db_table) for m in (Message, Conversation, Participant))
    return (f"WITH m AS (INSERT INTO {msg} (conversation_id, sender_id, kind, body, data, created_at) "
            f"VALUES (%s, NULL, 'system', %s, %s::jsonb, %s) RETURNING id), "
            f"c AS (UPDATE {conv} SET last_message_id = m.id, last_message_at = %s FROM m WHERE {conv}.id = %s), "
            f"p AS (UPDATE {part} SET last_message_id = m.id, unread_count = {part}.unread_count + 1 FROM m "
            f"WHERE {part}.conversation_id = %s) SELECT id FROM m")


def _append_system_pg(conversation_id: int, *, body: str, data: dict) -> int:
    """`_append` of a system message on PostgreSQL, the conversation already locked: the message and
    both denormalised counters in ONE statement (data-modifying CTEs)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_append_system_sql(), [conversation_id, body, json.dumps(data), now, now, conversation_id,
                                              conversation_id])
        return cursor.fetchone()[0]


def _check_rate(sender) -> None:
    """At most MESSAGE_RATE_LIMIT messages per MESSAGE_RATE_WINDOW_SECONDS; the user row lock serialises a burst."""
    limit, window = setting("MESSAGE_RATE_LIMIT"), setting("MESSAGE_RATE_WINDOW_SECONDS")
    # FOR NO KEY UPDATE: serialises one user's sends without blocking foreign-key checks on the row.
    get_user_model().objects.select_for_update(no_key=True).filter(pk=sender.pk).values_list("pk", flat=True).first()
    since = timezone.now() - timedelta(seconds=window)
    recent = list(Message.objects.filter(sender=sender, created_at__gte=since)
                  .order_by("created_at").values_list("created_at", flat=True)[:limit])
    if len(recent) >= limit:
        retry_after = max(1, int((recent[0] + timedelta(seconds=window) - timezone.now()).total_seconds()) + 1)
        raise RateLimited(f"You are sending messages too fast; try again in {retry_after} seconds.",
                          retry_after=retry_after)


def _resolve(*, sender, order_id: int | None, order_number: str | None, store_id: int | None,
             store_slug: str | None, conversation_id: int | None) -> tuple[Conversation, Order | None]:
    given = [x is not None for x in (order_id or order_number, store_id or store_slug, conversation_id)]
    if sum(given) != 1:
        raise ValueError("give exactly one of order_id/order_number, store_id/store_slug, conversation_id")
    if order_id is not None or order_number is not None:
        key = {"pk": order_id} if order_id is not None else {"number": order_number}
        order = Order.objects.select_related("store").filter(**key).first()
        if order is None or sender.pk not in (order.buyer_id, order.store.owner_id):
            raise NotFound("No such order.", code="order_not_found")
        return _order_conversation(order), order
    if conversation_id is not None:
        member = (Participant.objects.select_related("conversation__order")
                  .filter(conversation_id=conversation_id, user=sender).first())
        if member is None:
            raise _not_found()
        return member.conversation, member.conversation.order
    key = {"pk": store_id} if store_id is not None else {"slug": store_slug}
    store = Store.objects.filter(is_active=True, **key).first()
    if store is None:
        raise NotFound("No such store.", code="store_not_found")
    if store.owner_id == sender.pk:
        raise ValidationFailed("This is your own store.", code="own_store", field="store")
    conversation = Conversation.objects.filter(buyer=sender, store=store, order__isnull=True).first()
    if conversation is None:
        conversation = _create_conversation(buyer_id=sender.pk, store=store, order=None)
    return conversation, None


@transaction.atomic
def message_send(*, sender, body: str, order_id: int | None = None, store_id: int | None = None,
                 order_number: str | None = None, store_slug: str | None = None,
                 conversation_id: int | None = None) -> Message:
    """Sends a plain-text message to the other party and notifies them.

    Where: an order (its buyer or its store's owner may write), a store (a buyer
    asking before buying), or an existing conversation the sender is part of.
    Anyone else gets 404. The body is stripped and must be 1..2000 characters
    (`message_empty` / `message_too_long` on `body`); a user may send
    MESSAGE_RATE_LIMIT messages per window (429 `rate_limited`).
    """
    body = clean_body(body)
    conversation, order = _resolve(sender=sender, order_id=order_id, order_number=order_number,
                                   store_id=store_id, store_slug=store_slug, conversation_id=conversation_id)
    _check_rate(sender)
    message = _append(conversation, sender=sender, kind=Message.Kind.USER, body=body, data={})
    _notify_other_party(conversation, order=order, sender=sender, message=message)
    return message


def _notify_other_party(conversation: Conversation, *, order: Order | None, sender, message: Message) -> None:
    from souk.notifications.services import notify

    others = [p.user for p in Participant.objects.select_related("user")
              .filter(conversation=conversation).exclude(user_id=sender.pk)]
    if not others:
        return
    preview = message.body if len(message.body) <= PREVIEW_MAX else message.body[:PREVIEW_MAX - 1] + "…"
    where = f"order {order.display_number}" if order is not None else "your store"
    notify(kind="message_received", recipients=others, order=order, actor=sender,
           title=f"New message from {sender.name} about {where}"[:200], body=preview,
           data={"conversation_id": conversation.pk, "message_id": message.pk})


@transaction.atomic
def conversation_mark_read(*, user, conversation_id: int | None = None, order_number: str | None = None) -> int:
    """Marks the conversation read up to its latest message for `user`; returns the conversation id.

    404 when `user` is not part of it. One statement (plus one to find it by order number).
    """
    members = Participant.objects.filter(user=user)
    if conversation_id is not None:
        members = members.filter(conversation_id=conversation_id)
    elif order_number is not None:
        members = members.filter(conversation__order__number=order_number)
    else:
        raise ValueError("give conversation_id or order_number")
    member = members.values_list("pk", "conversation_id").first()
    if member is None:
        if order_number is not None and _is_order_party(user, order_number):
            return 0  # no message yet: nothing to mark
        raise _not_found()
    Participant.objects.filter(pk=member[0]).update(unread_count=0, last_read_message_id=F("last_message_id"))
    return member[1]


def _is_order_party(user, number: str) -> bool:
    return Order.objects.filter(Q(buyer=user) | Q(store__owner=user), number=number).exists()
