"""Customs rules through the API: staff add them, see the orders they hit, cancel those; checkout obeys."""

from __future__ import annotations

import pytest

from souk.cancellations.models import Cancellation
from souk.checkout.services import CheckoutLine
from souk.compliance.models import CustomsRule
from souk.compliance.services import check_checkout_lines
from souk.core.errors import ValidationFailed
from souk.fulfilment.services import order_mark_shipped
from souk.notifications.models import Notification
from souk.payments.models import Refund
from tests.compliance.conftest import fields
from tests.factories import AddressFactory, UserFactory
from tests.ledger.audit import assert_audit_clean

BATTERIES_TO_US = {"country": "US", "kind": "prohibited_category", "category": "batteries",
                   "note": "Lithium cells by air"}


def test_staff_add_a_rule_and_see_the_paid_unshipped_orders_it_hits(api, staff, seller, place_order, buyer):
    hit = place_order(gadgets=1)                   # paid, a power bank: hit
    place_order(gadgets=0, cables=2)               # paid, cables only: not hit
    place_order(gadgets=1, paid=False)             # unpaid: not hit
    shipped = place_order(gadgets=1)
    order_mark_shipped(seller=seller, order_id=shipped.pk, carrier="DHL", tracking_number="JD1")

    response = api(staff).post("/staff/customs-rules", BATTERIES_TO_US)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rule"]["message"] == "Batteries cannot be shipped to United States of America (customs rule)."
    assert body["rule"]["category"] == "batteries" and body["rule"]["country"] == "US"
    assert [o["number"] for o in body["orders"]] == [hit.number]
    impact = api(staff).get(f"/staff/customs-rules/{body['rule']['id']}/impact").json()
    assert [o["number"] for o in impact["orders"]] == [hit.number]
    assert [r["id"] for r in api(staff).get("/staff/customs-rules", {"country": "us"}).json()] == [
        body["rule"]["id"]]


def test_a_rule_on_a_quantity_or_a_value_hits_the_orders_above_it(api, staff, place_order):
    big = place_order(gadgets=4)                    # 4 identical, $80 goods
    small = place_order(gadgets=2)                  # 2 identical, $40 goods
    by_quantity = api(staff).post("/staff/customs-rules", {"country": "US", "kind": "identical_item_limit",
                                                           "max_quantity": 3}).json()
    by_value = api(staff).post("/staff/customs-rules", {"country": "US", "kind": "declared_value_limit",
                                                        "value_limit": "40.00", "currency": "USD"}).json()
    assert [o["number"] for o in by_quantity["orders"]] == [big.number]
    assert [o["number"] for o in by_value["orders"]] == [big.number]  # $40.00 exactly is allowed
    assert small.number not in {o["number"] for o in by_value["orders"]}


def test_cancelling_the_hits_refunds_them_with_a_platform_fault_reason(api, staff, place_order, buyer):
    first, second = place_order(gadgets=1), place_order(gadgets=2)
    rule = api(staff).post("/staff/customs-rules", BATTERIES_TO_US).json()["rule"]

    response = api(staff).post(f"/staff/customs-rules/{rule['id']}/cancel-orders",
                               {"order_ids": [first.pk, second.pk]})

    assert response.status_code == 200, response.content
    assert sorted(response.json()["cancelled"]) == sorted([first.number, second.number])
    for order in (first, second):
        order.refresh_from_db()
        assert order.status == "cancelled"
        c = Cancellation.objects.get(order=order)
        assert (c.reason, c.fault, c.actor_role) == ("customs_restriction", "platform", "staff")
        assert "cannot be shipped to United States" in c.note
        assert Refund.objects.get(order=order).amount_minor == order.total_minor
    assert Notification.objects.filter(recipient=buyer, kind="order_cancelled_by_platform").count() == 2
    # Nothing left to hit.
    assert api(staff).get(f"/staff/customs-rules/{rule['id']}/impact").json()["orders"] == []
    assert_audit_clean()


def test_orders_the_rule_does_not_hit_are_skipped_not_cancelled(api, staff, place_order, seller):
    cables = place_order(gadgets=0, cables=1)
    shipped = place_order(gadgets=1)
    rule = api(staff).post("/staff/customs-rules", BATTERIES_TO_US).json()["rule"]
    order_mark_shipped(seller=seller, order_id=shipped.pk, carrier="DHL", tracking_number="JD2")

    body = api(staff).post(f"/staff/customs-rules/{rule['id']}/cancel-orders",
                           {"order_ids": [cables.pk, shipped.pk]}).json()

    assert body["cancelled"] == []
    assert {s["code"] for s in body["skipped"]} == {"not_hit_by_rule"}
    assert not Cancellation.objects.exists()
    assert_audit_clean()


@pytest.mark.parametrize(("body", "field", "code"), [
    ({**BATTERIES_TO_US, "country": "XX"}, "country", "invalid_country"),
    ({**BATTERIES_TO_US, "country": ""}, "country", "required"),
    ({**BATTERIES_TO_US, "category": "no-such-category"}, "category", "unknown_category"),
    ({**BATTERIES_TO_US, "kind": "weight_limit"}, "kind", "invalid_kind"),
    ({"country": "US", "kind": "declared_value_limit", "value_limit": "-5.00", "currency": "USD"},
     "value_limit", "amount_not_positive"),
    ({"country": "US", "kind": "declared_value_limit", "value_limit": "5.00", "currency": "XYZ"},
     "currency", None),
    ({"country": "US", "kind": "declared_value_limit", "currency": "USD"}, "value_limit", "required"),
    ({"country": "US", "kind": "identical_item_limit", "max_quantity": -1}, "max_quantity", "invalid_quantity"),
    ({"country": "US", "kind": "identical_item_limit", "max_quantity": 0}, "max_quantity", "invalid_quantity"),
])
def test_a_bad_rule_is_refused_naming_the_field_and_nothing_is_written(api, staff, shop, body, field, code):
    response = api(staff).post("/staff/customs-rules", body)
    assert response.status_code == 422, response.content
    errors = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert field in errors
    if code:
        assert errors[field] == code
    assert not CustomsRule.objects.exists()


def test_non_staff_get_403_on_every_staff_route(api, buyer, seller, shop, place_order):
    order = place_order()
    rule = CustomsRule.objects.create(country="US", kind="identical_item_limit", max_quantity=1,
                                      created_at=order.created_at)
    for user in (buyer, seller):
        client = api(user)
        assert client.get("/staff/customs-rules").status_code == 403
        assert client.post("/staff/customs-rules", BATTERIES_TO_US).status_code == 403
        assert client.get(f"/staff/customs-rules/{rule.pk}/impact").status_code == 403
        response = client.post(f"/staff/customs-rules/{rule.pk}/cancel-orders", {"order_ids": [order.pk]})
        assert response.status_code == 403 and response.json()["code"] == "staff_only"
        assert client.post(f"/staff/products/{shop[1].pk}/quality-flag",
                           {"kind": "damaged", "evidence": "x"}).status_code == 403
    assert CustomsRule.objects.count() == 1
    assert api().get("/staff/customs-rules").status_code == 401
    order.refresh_from_db()
    assert order.status == "awaiting_shipment"


def test_checkout_hook_refuses_the_breaking_line_naming_its_field(staff, shop, django_assert_max_num_queries):
    store, gadget, cable, option = shop
    CustomsRule.objects.create(country="US", kind="prohibited_category", category=gadget.category,
                               created_by=staff, created_at=gadget.created_at)
    lines = [CheckoutLine(cable.pk, 1), CheckoutLine(gadget.pk, 1)]
    with django_assert_max_num_queries(3), pytest.raises(ValidationFailed) as caught:
        check_checkout_lines(country="US", lines=lines)
    assert caught.value.code == "customs_restriction"
    assert [e.field for e in caught.value.errors] == ["lines[1].product_id"]
    assert caught.value.message == "Batteries cannot be shipped to United States of America (customs rule)."
    # Another country has no rule: one query, no error.
    with django_assert_max_num_queries(1):
        check_checkout_lines(country="FR", lines=lines)


def test_a_buyer_checks_out_what_an_inactive_rule_names_and_is_refused_once_it_is_active(staff, shop,
                                                                                        place_order):
    store, gadget, cable, option = shop
    rule = CustomsRule.objects.create(country="US", kind="prohibited_category", category=gadget.category,
                                      active=False, created_by=staff, created_at=gadget.created_at)
    order = place_order(gadgets=1, paid=False)
    assert order.status == "awaiting_payment"
    assert list(order.lines.values_list("product_id", flat=True)) == [gadget.pk]

    CustomsRule.objects.filter(pk=rule.pk).update(active=True)
    with pytest.raises(ValidationFailed) as refused:
        place_order(gadgets=1, paid=False)
    assert refused.value.code == "customs_restriction"
    assert [e.field for e in refused.value.errors] == ["lines[0].product_id"]


def test_public_customs_check_before_checkout(api, staff, shop):
    store, gadget, cable, option = shop
    api(staff).post("/staff/customs-rules", {"country": "AU", "kind": "identical_item_limit", "max_quantity": 2})
    api(staff).post("/staff/customs-rules", {**BATTERIES_TO_US, "country": "AU"})
    anonymous = api()

    ok = anonymous.get("/customs/check", {"country": "au", "product_id": cable.pk, "quantity": 2})
    refused = anonymous.get("/customs/check", {"country": "AU", "product_id": gadget.pk, "quantity": 3})

    assert ok.status_code == 200 and ok.json() == {"allowed": True, "country": "AU", "violations": []}
    body = refused.json()
    assert body["allowed"] is False
    assert sorted(v["message"] for v in body["violations"]) == [
        "Australia accepts at most 2 identical items per parcel (customs rule).",
        "Batteries cannot be shipped to Australia (customs rule)."]
    bad = anonymous.get("/customs/check", {"country": "ZZ", "product_id": gadget.pk})
    assert bad.status_code == 422 and fields(bad) == ["country"]
    assert anonymous.get("/customs/check", {"country": "AU", "product_id": 999999}).status_code == 404


def test_orders_to_another_country_are_not_hit(api, staff, shop):
    store, gadget, cable, option = shop
    from souk.checkout.services import checkout
    from souk.payments.services import order_pay

    french = UserFactory()
    address = AddressFactory(user=french, country="FR", country_area="", city="Paris", postal_code="75001",
                             street_address="1 Rue de Rivoli", phone="+33142345678")
    [order] = checkout(buyer=french, address_id=address.pk, lines=[CheckoutLine(gadget.pk, 1)],
                       shipping={store.pk: option.pk})
    order_pay(buyer=french, order_id=order.pk, method="card", token="tok_visa", idempotency_key="fr-1")
    assert api(staff).post("/staff/customs-rules", BATTERIES_TO_US).json()["orders"] == []
    assert [o["number"] for o in api(staff).post("/staff/customs-rules", {**BATTERIES_TO_US, "country": "FR"})
            .json()["orders"]] == [order.number]


def test_staff_can_read_every_compliance_list_in_the_admin(client, shop, staff, place_order):
    from souk.compliance.services import address_problem_from_carrier

    staff.is_superuser = True
    staff.save()
    CustomsRule.objects.create(country="US", kind="identical_item_limit", max_quantity=2, created_at=shop[1].created_at)
    address_problem_from_carrier(order_id=place_order().pk, reason="undeliverable")
    client.force_login(staff)
    for name in ("customsrule", "qualityflag", "addressproblem", "protectionextension", "lowstockalert"):
        response = client.get(f"/admin/compliance/{name}/")
        assert response.status_code == 200, name


def test_checkout_refuses_a_line_that_breaks_a_customs_rule_and_writes_nothing(api, staff, buyer, shop):
    from souk.catalog.models import Product
    from souk.checkout.services import checkout
    from souk.orders.models import Order

    store, gadget, cable, option = shop
    assert api(staff).post("/staff/customs-rules", BATTERIES_TO_US).status_code == 201
    with pytest.raises(ValidationFailed) as refused:
        checkout(buyer=buyer, address_id=buyer.addresses.first().pk,
                 lines=[CheckoutLine(cable.pk, 1), CheckoutLine(gadget.pk, 1)], shipping={store.pk: option.pk})
    assert refused.value.code == "customs_restriction"
    assert [e.field for e in refused.value.errors] == ["lines[1].product_id"]
    assert "United States" in refused.value.message
    assert not Order.objects.exists()
    assert Product.objects.get(pk=gadget.pk).stock == 50


def test_checkout_schedules_the_payment_window_timer_of_each_order(buyer, shop):
    from django_tasks_db.models import DBTaskResult

    from souk.checkout.services import checkout

    store, gadget, cable, option = shop
    [order] = checkout(buyer=buyer, address_id=buyer.addresses.first().pk, lines=[CheckoutLine(cable.pk, 1)],
                       shipping={store.pk: option.pk})
    task = DBTaskResult.objects.get(task_path__endswith="expire_payment_window")
    assert task.run_after == order.pay_by and task.args_kwargs["args"] == [order.pk]
