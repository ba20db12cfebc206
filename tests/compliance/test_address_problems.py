"""Address problems: the seller (or a carrier) flags the address, the buyer fixes it in time or the
worker cancels and refunds the order when the window closes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from souk.cancellations.models import Cancellation
from souk.compliance.models import AddressProblem
from souk.compliance.services import address_fix, address_problem_from_carrier, expire_address_problems
from souk.compliance.tasks import address_fix_deadline
from souk.core.errors import Conflict
from souk.notifications.models import Notification
from souk.orders.models import Order, OrderEvent
from souk.payments.models import Refund
from tests.compliance.conftest import fields
from tests.ledger.audit import assert_audit_clean

NEW_ADDRESS = {"name": "Ada Lovelace", "country": "US", "country_area": "CA", "city": "Mountain View",
               "street_address": "1 Infinite Loop, Suite 300", "postal_code": "94043", "phone": "(650) 253-0001"}


def report(api, seller, order, reason="incomplete", note="The apartment number is missing."):
    return api(seller).post(f"/seller/orders/{order.number}/address-problem", {"reason": reason, "note": note})


def test_seller_flags_the_address_and_the_buyer_gets_a_48_hour_window(api, seller, buyer, place_order):
    order = place_order()
    before = timezone.now()

    response = report(api, seller, order)

    assert response.status_code == 201, response.content
    problem = AddressProblem.objects.get(order=order)
    assert problem.state == "open" and problem.reported_by == "seller" and problem.reporter == seller
    assert before + timedelta(hours=48) <= problem.fix_by <= timezone.now() + timedelta(hours=48)
    note = Notification.objects.get(recipient=buyer, kind="address_problem_reported")
    assert "The apartment number is missing." in note.body and order.number in note.title
    assert OrderEvent.objects.filter(order=order, kind="address_problem_reported", actor_role="seller").exists()
    # The timer's fast path is a task row due exactly at the deadline.
    task = DBTaskResult.objects.get(task_path="souk.compliance.tasks.address_fix_deadline")
    assert task.run_after == problem.fix_by and task.args_kwargs["args"] == [problem.pk]
    # The buyer sees it on the order.
    seen = api(buyer).get(f"/orders/{order.number}/address-problem").json()["problem"]
    assert (seen["state"], seen["reason"], seen["id"]) == ("open", "incomplete", problem.pk)


def test_the_window_is_a_setting(api, seller, place_order, settings):
    settings.SOUK = {**settings.SOUK, "ADDRESS_FIX_HOURS": 6}
    order = place_order()
    report(api, seller, order)
    problem = AddressProblem.objects.get()
    assert timedelta(hours=5, minutes=59) < problem.fix_by - problem.created_at <= timedelta(hours=6)


def test_a_second_report_while_one_is_open_is_409(api, seller, place_order):
    order = place_order()
    report(api, seller, order)
    again = report(api, seller, order, reason="undeliverable", note="")
    assert again.status_code == 409 and again.json()["code"] == "address_problem_open"
    assert AddressProblem.objects.count() == 1


def test_only_a_paid_unshipped_order_can_be_flagged(api, seller, place_order):
    unpaid = place_order(paid=False)
    response = report(api, seller, unpaid)
    assert response.status_code == 409 and response.json()["code"] == "order_not_awaiting_shipment"
    assert not AddressProblem.objects.exists()


def test_bad_report_input_names_the_field(api, seller, place_order):
    order = place_order()
    assert fields(report(api, seller, order, reason="on_the_moon")) == ["reason"]
    assert fields(report(api, seller, order, reason="other", note="")) == ["note"]
    assert not AddressProblem.objects.exists()


def test_the_buyer_fixes_the_address_in_time_and_the_seller_is_told(api, seller, buyer, place_order):
    order = place_order()
    report(api, seller, order)

    response = api(buyer).post(f"/orders/{order.number}/address-fix", NEW_ADDRESS)

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "fixed"
    order.refresh_from_db()
    assert order.shipping_address["street_address"] == "1 Infinite Loop, Suite 300"
    assert order.shipping_address["phone"] == order.contact_phone == "+16502530001"  # E.164, as the book stores
    assert order.status == "awaiting_shipment"
    problem = AddressProblem.objects.get()
    assert problem.state == "fixed" and problem.fixed_at is not None
    assert Notification.objects.filter(recipient=seller, kind="address_fixed", order=order).exists()
    assert OrderEvent.objects.filter(order=order, kind="address_fixed", actor_role="buyer").exists()
    # The deadline passing later changes nothing: the task finds nothing due.
    AddressProblem.objects.update(fix_by=timezone.now() - timedelta(seconds=1))
    assert address_fix_deadline.call(problem.pk) == 0
    order.refresh_from_db()
    assert order.status == "awaiting_shipment"


@pytest.mark.parametrize(("change", "field"), [
    ({"postal_code": "ABCDE"}, "postal_code"),
    ({"phone": "12"}, "phone"),
    ({"name": ""}, "name"),
    ({"street_address": ""}, "street_address"),
    ({"country": "FR", "city": "Paris", "postal_code": "75001", "country_area": "",
      "phone": "+33142345678"}, "country"),
])
def test_an_invalid_fix_names_the_field_and_changes_nothing(api, seller, buyer, place_order, change, field):
    order = place_order()
    report(api, seller, order)
    snapshot = Order.objects.get(pk=order.pk).shipping_address

    response = api(buyer).post(f"/orders/{order.number}/address-fix", {**NEW_ADDRESS, **change})

    assert response.status_code == 422, response.content
    assert field in fields(response)
    assert Order.objects.get(pk=order.pk).shipping_address == snapshot
    assert AddressProblem.objects.get().state == "open"
    assert not Notification.objects.filter(kind="address_fixed").exists()


def test_a_fix_without_an_open_problem_or_after_the_deadline_is_409(api, seller, buyer, place_order):
    order = place_order()
    response = api(buyer).post(f"/orders/{order.number}/address-fix", NEW_ADDRESS)
    assert response.status_code == 409 and response.json()["code"] == "no_open_address_problem"
    report(api, seller, order)
    AddressProblem.objects.update(fix_by=timezone.now() - timedelta(seconds=1))
    response = api(buyer).post(f"/orders/{order.number}/address-fix", NEW_ADDRESS)
    assert response.status_code == 409 and response.json()["code"] == "address_fix_window_closed"


def test_another_buyer_or_seller_gets_404(api, seller, buyer, other_buyer, place_order):
    from tests.factories import StoreFactory

    order = place_order()
    other_seller = StoreFactory().owner
    assert report(api, other_seller, order).status_code == 404
    report(api, seller, order)
    assert api(other_buyer).get(f"/orders/{order.number}/address-problem").status_code == 404
    assert api(other_buyer).post(f"/orders/{order.number}/address-fix", NEW_ADDRESS).status_code == 404
    assert AddressProblem.objects.get().state == "open"


def _time_passes(problem: AddressProblem) -> None:
    """The window closes: the deadline and its task's run_after move into the past."""
    past = timezone.now() - timedelta(seconds=1)
    AddressProblem.objects.filter(pk=problem.pk).update(fix_by=past)
    DBTaskResult.objects.filter(task_path="souk.compliance.tasks.address_fix_deadline").update(run_after=past)


def _assert_cancelled_for_address(order: Order, buyer) -> None:
    order.refresh_from_db()
    assert order.status == "cancelled"
    c = Cancellation.objects.get(order=order)
    assert (c.reason, c.fault, c.actor_role) == ("address_unusable", "platform", "system")
    assert Refund.objects.get(order=order).amount_minor == order.total_minor
    assert AddressProblem.objects.get(order=order).state == "expired"
    assert Notification.objects.filter(recipient=buyer, kind="order_cancelled_by_platform", order=order).exists()


@pytest.mark.django_db(transaction=True)  # the worker closes its connection, as a real one does
def test_not_fixed_in_time_the_worker_task_cancels_and_refunds(api, seller, buyer, place_order):
    order = place_order(gadgets=1, cables=1)
    report(api, seller, order)
    _time_passes(AddressProblem.objects.get())

    call_command("worker", batch=True, no_sweeps=True, verbosity=0)  # the task (fast path) alone

    _assert_cancelled_for_address(order, buyer)
    assert_audit_clean()


@pytest.mark.django_db(transaction=True)
def test_not_fixed_in_time_the_sweep_alone_cancels_when_the_task_was_lost(api, seller, buyer, place_order):
    order = place_order()
    report(api, seller, order)
    _time_passes(AddressProblem.objects.get())
    DBTaskResult.objects.filter(task_path="souk.compliance.tasks.address_fix_deadline").delete()

    call_command("worker", batch=True, verbosity=0)  # sweeps, then whatever tasks are ready

    _assert_cancelled_for_address(order, buyer)
    assert expire_address_problems() == 0  # idempotent: nothing left
    assert_audit_clean()


def test_an_open_problem_not_yet_due_is_left_alone(api, seller, place_order):
    order = place_order()
    report(api, seller, order)
    assert expire_address_problems() == 0
    assert expire_address_problems(now=timezone.now() + timedelta(hours=47)) == 0
    order.refresh_from_db()
    assert order.status == "awaiting_shipment"


def test_a_fix_racing_the_deadline_loses_cleanly_once_the_order_is_cancelled(api, seller, buyer, place_order):
    order = place_order()
    report(api, seller, order)
    problem = AddressProblem.objects.get()
    assert expire_address_problems(now=problem.fix_by) == 1
    with pytest.raises(Conflict):
        address_fix(buyer=buyer, order_id=order.pk, address=NEW_ADDRESS, now=problem.fix_by - timedelta(seconds=1))
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert_audit_clean()


def test_a_carrier_event_opens_the_same_window(buyer, place_order):
    order = place_order()
    problem = address_problem_from_carrier(order_id=order.pk, reason="undeliverable", note="No such street.")
    assert (problem.reported_by, problem.reporter, problem.state) == ("carrier", None, "open")
    assert OrderEvent.objects.filter(order=order, kind="address_problem_reported", actor_role="system").exists()
    note = Notification.objects.get(recipient=buyer, kind="address_problem_reported")
    assert "The carrier cannot use" in note.body


def test_a_problem_on_an_order_that_shipped_meanwhile_closes_without_cancelling(api, seller, place_order):
    from souk.fulfilment.services import order_mark_shipped

    order = place_order()
    report(api, seller, order)
    order_mark_shipped(seller=seller, order_id=order.pk, carrier="DHL", tracking_number="JD9")
    assert expire_address_problems(now=timezone.now() + timedelta(hours=49)) == 1
    order.refresh_from_db()
    assert order.status == "awaiting_delivery"
    assert AddressProblem.objects.get().state == "expired"
    assert not Cancellation.objects.exists()


def test_the_ship_by_clock_pauses_while_the_address_is_being_fixed(seller, buyer, place_order):
    from souk.cancellations.services.timers import cancel_unshipped_orders
    from souk.compliance.services import address_problem_report

    order = place_order()
    shipped_by = Order.objects.get(pk=order.pk).ship_by
    reported = timezone.now()
    problem = address_problem_report(seller=seller, order_id=order.pk, reason="incomplete",
                                     note="The apartment number is missing.", now=reported)
    window = problem.fix_by - reported
    assert Order.objects.get(pk=order.pk).ship_by == shipped_by + window

    # The original deadline passes while the buyer is still fixing: no seller-fault cancellation.
    assert cancel_unshipped_orders(order_ids=[order.pk], now=shipped_by + timedelta(minutes=1)) == 0
    assert Order.objects.get(pk=order.pk).status == "awaiting_shipment"

    # Fixed after 10 hours: the seller gets exactly those 10 hours back, not the unused window.
    address_fix(buyer=buyer, order_id=order.pk, address=NEW_ADDRESS, now=reported + timedelta(hours=10))
    assert Order.objects.get(pk=order.pk).ship_by == shipped_by + timedelta(hours=10)
