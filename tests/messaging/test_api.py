"""Messaging over the API: participants only, errors on `body`, 429 when too fast, raw text round-trips."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from souk.accounts.tokens import token_create
from souk.messaging.models import Message
from tests.factories import StoreFactory


def client_for(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_create(user=user, name='t')[1]}"})


def post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def test_messaging_needs_a_login(db):
    assert Client().get("/api/messages/unread-count").status_code == 401
    assert Client().get("/api/conversations").status_code == 401


def test_buyer_and_seller_talk_about_an_order(order, seller):
    buyer_api, seller_api = client_for(order.buyer), client_for(seller)
    url = f"/api/orders/{order.number}/messages"
    empty = buyer_api.get(url).json()
    assert (empty["conversation_id"], empty["messages"], empty["role"]) == (None, [], "buyer")
    response = post(buyer_api, url, {"body": "Is it the blue one?"})
    assert response.status_code == 201, response.content
    sent = response.json()
    assert [(m["body"], m["mine"], m["kind"]) for m in sent["messages"]] == [("Is it the blue one?", True, "user")]
    assert seller_api.get("/api/messages/unread-count").json() == {"unread": 1}
    view = seller_api.get(url).json()
    assert view["role"] == "seller" and view["unread_count"] == 1
    assert view["messages"][0]["mine"] is False and view["messages"][0]["sender_name"] == order.buyer.name
    read = post(seller_api, f"{url}/read")
    assert read.status_code == 200 and read.json() == {"conversation_id": sent["conversation_id"]}
    assert seller_api.get("/api/messages/unread-count").json() == {"unread": 0}


def test_a_script_tag_in_a_body_is_stored_and_returned_as_plain_text(order):
    body = '<script>alert("x")</script> & <b>bold</b>'
    api = client_for(order.buyer)
    post(api, f"/api/orders/{order.number}/messages", {"body": body})
    assert Message.objects.get().body == body
    assert api.get(f"/api/orders/{order.number}/messages").json()["messages"][0]["body"] == body


def test_errors_name_the_body_field_and_write_nothing(order):
    api = client_for(order.buyer)
    url = f"/api/orders/{order.number}/messages"
    empty = post(api, url, {"body": "   "})
    assert empty.status_code == 422
    assert empty.json()["errors"] == [{"field": "body", "code": "message_empty", "message": "Write a message first."}]
    long = post(api, url, {"body": "y" * 2001})
    assert long.status_code == 422 and long.json()["errors"][0]["code"] == "message_too_long"
    missing = post(api, url, {})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "body"
    assert not Message.objects.exists()


def test_sending_too_fast_answers_429_rate_limited(order):
    api = client_for(order.buyer)
    url = f"/api/orders/{order.number}/messages"
    for i in range(10):
        assert post(api, url, {"body": f"m{i}"}).status_code == 201
    response = post(api, url, {"body": "one more"})
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert Message.objects.count() == 10


def test_another_user_gets_404_on_every_order_messaging_endpoint(order, other_buyer):
    post(client_for(order.buyer), f"/api/orders/{order.number}/messages", {"body": "private"})
    conversation_id = Message.objects.get().conversation_id
    intruder = client_for(other_buyer)
    for response in (
        intruder.get(f"/api/orders/{order.number}/messages"),
        post(intruder, f"/api/orders/{order.number}/messages", {"body": "hi"}),
        post(intruder, f"/api/orders/{order.number}/messages/read"),
        intruder.get(f"/api/conversations/{conversation_id}"),
        post(intruder, f"/api/conversations/{conversation_id}/messages", {"body": "hi"}),
        post(intruder, f"/api/conversations/{conversation_id}/read"),
    ):
        assert response.status_code == 404, response.content
    assert intruder.get("/api/conversations").json() == {"items": [], "next_cursor": None}
    assert Message.objects.count() == 1


def test_a_pre_purchase_question_and_the_sellers_reply(buyer):
    store = StoreFactory()
    buyer_api, seller_api = client_for(buyer), client_for(store.owner)
    assert buyer_api.get(f"/api/stores/{store.slug}/messages").json()["conversation_id"] is None
    asked = post(buyer_api, f"/api/stores/{store.slug}/messages", {"body": "Any discount for 10?"})
    assert asked.status_code == 201
    conversation_id = asked.json()["conversation_id"]
    listing = seller_api.get("/api/conversations").json()["items"]
    assert [(c["id"], c["role"], c["other_party"], c["unread_count"]) for c in listing] == [
        (conversation_id, "seller", buyer.name, 1)]
    replied = post(seller_api, f"/api/conversations/{conversation_id}/messages", {"body": "5% off"})
    assert replied.status_code == 201 and replied.json()["role"] == "seller"
    view = buyer_api.get(f"/api/stores/{store.slug}/messages").json()
    assert [m["body"] for m in view["messages"]] == ["Any discount for 10?", "5% off"]
    assert post(buyer_api, f"/api/conversations/{conversation_id}/read").json() == {
        "conversation_id": conversation_id}
    assert buyer_api.get("/api/messages/unread-count").json() == {"unread": 0}
    assert buyer_api.get("/api/stores/no-such-store/messages").status_code == 404


@pytest.mark.parametrize("cursor", ["abc", "1.5"])
def test_a_bad_conversation_cursor_answers_422(buyer, cursor):
    response = client_for(buyer).get(f"/api/conversations?cursor={cursor}")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "cursor"


def test_a_nul_character_in_a_body_is_refused_and_nothing_is_written(order):
    response = post(client_for(order.buyer), f"/api/orders/{order.number}/messages", {"body": "a\x00b"})
    assert response.status_code == 422
    assert not Message.objects.exists()


@pytest.mark.parametrize("url", ["/api/conversations/0", "/api/conversations/9223372036854775808",
                                 "/api/orders/1/messages?before=0", "/api/conversations?limit=1000"])
def test_out_of_range_ids_and_limits_answer_422(buyer, url):
    assert client_for(buyer).get(url).status_code == 422
