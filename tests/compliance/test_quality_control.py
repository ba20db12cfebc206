"""Quality control: a flagged product is suspended, its unshipped orders cancelled and refunded."""

from __future__ import annotations

import pytest

from souk.cancellations.models import Cancellation
from souk.catalog.models import Product
from souk.checkout.services import CheckoutLine, checkout
from souk.compliance.models import QualityFlag
from souk.compliance.selectors import store_quality_record
from souk.fulfilment.services import order_mark_shipped
from souk.notifications.models import Notification
from souk.payments.models import Refund
from tests.compliance.conftest import fields
from tests.ledger.audit import assert_audit_clean

EVIDENCE = "Batch inspected on 26 Nov: logo misprinted, no CE mark; photos in ticket QC-118."


def test_a_flagged_product_is_suspended_and_its_paid_unshipped_orders_are_cancelled_and_refunded(
        api, staff, seller, buyer, place_order, shop):
    store, gadget, cable, option = shop
    paid = place_order(gadgets=2, cables=1)
    unpaid = place_order(gadgets=1, paid=False)
    other = place_order(gadgets=0, cables=1)
    shipped = place_order(gadgets=1)
    order_mark_shipped(seller=seller, order_id=shipped.pk, carrier="DHL", tracking_number="JD3")
    stock_before = Product.objects.get(pk=gadget.pk).stock

    response = api(staff).post(f"/staff/products/{gadget.pk}/quality-flag",
                               {"kind": "counterfeit", "evidence": EVIDENCE})

    assert response.status_code == 201, response.content
    assert sorted(response.json()["cancelled"]) == sorted([paid.number, unpaid.number])
    gadget.refresh_from_db()
    assert gadget.is_active is False
    assert gadget.stock == stock_before  # counterfeit units are not put back on sale
    for order in (paid, unpaid):
        order.refresh_from_db()
        assert order.status == "cancelled"
        c = Cancellation.objects.get(order=order)
        assert (c.reason, c.fault) == ("quality_control_failure", "platform")
    assert Refund.objects.get(order=paid).amount_minor == paid.total_minor  # $48.00 back in full
    assert not Refund.objects.filter(order=unpaid).exists()
    for order in (other, shipped):
        order.refresh_from_db()
        assert order.status in ("awaiting_shipment", "awaiting_delivery")
    assert Notification.objects.filter(recipient=buyer, kind="order_cancelled_by_platform", order=paid).exists()
    assert Notification.objects.filter(recipient=seller, kind="product_suspended").exists()
    flag = QualityFlag.objects.get()
    assert (flag.kind, flag.evidence, flag.flagged_by, flag.orders_cancelled) == ("counterfeit", EVIDENCE, staff, 2)
    assert_audit_clean()


def test_the_store_record_shows_the_flags_and_the_cancelled_orders(api, staff, place_order, shop,
                                                                    django_assert_num_queries):
    store, gadget, cable, option = shop
    place_order(gadgets=1)
    api(staff).post(f"/staff/products/{gadget.pk}/quality-flag", {"kind": "counterfeit", "evidence": EVIDENCE})
    api(staff).post(f"/staff/products/{cable.pk}/quality-flag", {"kind": "damaged", "evidence": "Frayed."})

    with django_assert_num_queries(3):
        record = store_quality_record(store_id=store.pk)

    assert record["flags"] == 2 and record["open_flags"] == 2 and record["products_flagged"] == 2
    assert record["by_kind"] == {"counterfeit": 1, "damaged": 1, "inferior_quality": 0}
    assert record["orders_cancelled"] == 1
    assert [f["product_id"] for f in record["recent"]] == [cable.pk, gadget.pk]
    assert record["recent"][0]["product__is_active"] is False


def test_a_suspended_product_cannot_be_bought(api, staff, buyer, shop):
    store, gadget, cable, option = shop
    api(staff).post(f"/staff/products/{gadget.pk}/quality-flag", {"kind": "damaged", "evidence": EVIDENCE})
    from souk.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        checkout(buyer=buyer, address_id=buyer.addresses.first().pk, lines=[CheckoutLine(gadget.pk, 1)],
                 shipping={store.pk: option.pk})
    assert caught.value.errors[0].code == "product_unavailable"


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "ugly", "evidence": EVIDENCE}, "kind"),
    ({"kind": "damaged", "evidence": "   "}, "evidence"),
])
def test_a_bad_flag_is_refused_naming_the_field_and_nothing_changes(api, staff, place_order, shop, body, field):
    order = place_order(gadgets=1)
    response = api(staff).post(f"/staff/products/{shop[1].pk}/quality-flag", body)
    assert response.status_code == 422 and field in fields(response)
    assert Product.objects.get(pk=shop[1].pk).is_active is True
    order.refresh_from_db()
    assert order.status == "awaiting_shipment"
    assert not QualityFlag.objects.exists() and not Cancellation.objects.exists()


def test_flagging_an_unknown_product_is_404(api, staff, shop):
    response = api(staff).post("/staff/products/987654/quality-flag", {"kind": "damaged", "evidence": EVIDENCE})
    assert response.status_code == 404
