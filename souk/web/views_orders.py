"""Pages: cart, checkout, My Orders, order details, and the seller's orders. Thin: parse, call, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from souk.checkout.services import checkout_cart
from souk.core.errors import DomainError, NotFound
from souk.fulfilment import services as fulfilment
from souk.orders import selectors, services
from souk.orders.status import Status
from souk.payments.services import GatewayUnavailable, PaymentDeclined, PaymentInProgress, order_pay
from souk.reputation.services import review_create
from souk.web import checkout_page, compliance_page, dispute_page, order_page

TABS = [("", _("All")), (Status.AWAITING_PAYMENT, _("Awaiting payment")),
        (Status.AWAITING_SHIPMENT, _("Awaiting shipment")), (Status.AWAITING_DELIVERY, _("Awaiting delivery")),
        (Status.AWAITING_CANCELLATION, _("Awaiting cancellation")), (Status.COMPLETED, _("Completed")),
        (Status.CANCELLED, _("Cancelled"))]


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _field_errors(exc: DomainError) -> dict[str, str]:
    return {e.field: e.message for e in exc.errors} or {"general": exc.message}


# --- Cart -----------------------------------------------------------------------------

def _render_cart(request: HttpRequest, *, errors=None, status=200) -> HttpResponse:
    cart = selectors.cart_for_buyer(buyer=request.user)
    return render(request, "orders/cart.html", {"cart": cart, "errors": errors or {}}, status=status)


@login_required
@require_GET
def cart(request: HttpRequest) -> HttpResponse:
    return _render_cart(request)


@login_required
@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    try:
        services.cart_add(buyer=request.user, product_id=_int(request.POST.get("product_id"), 0),
                          quantity=_int(request.POST.get("quantity"), 0))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Added to your cart.")
    return redirect("orders:cart")


@login_required
@require_POST
def cart_update(request: HttpRequest, product_id: int) -> HttpResponse:
    try:
        services.cart_update(buyer=request.user, product_id=product_id,
                             quantity=_int(request.POST.get("quantity"), -1))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        return _render_cart(request, errors={product_id: exc.message}, status=422)
    messages.success(request, "Cart updated.")
    return redirect("orders:cart")


@login_required
@require_POST
def cart_remove(request: HttpRequest, product_id: int) -> HttpResponse:
    try:
        services.cart_remove(buyer=request.user, product_id=product_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, "Removed from your cart.")
    return redirect("orders:cart")


# --- Checkout ---------------------------------------------------------------------------

@login_required
def checkout(request: HttpRequest) -> HttpResponse:
    address_id = _int(request.POST.get("address_id") or request.GET.get("address"))
    errors: dict[str, str] = {}
    line_errors: dict[int, list[str]] = {}
    chosen: dict[int, int] = {}
    if request.method == "POST":
        chosen = {_int(k.removeprefix("shipping_")): _int(v) for k, v in request.POST.items()
                  if k.startswith("shipping_") and _int(k.removeprefix("shipping_")) is not None
                  and _int(v) is not None}
        try:
            orders = checkout_cart(buyer=request.user, address_id=address_id or 0, shipping=chosen)
        except DomainError as exc:
            errors = _field_errors(exc)
            line_errors = checkout_page.line_errors(buyer=request.user, exc=exc)
            if line_errors:  # e.g. customs: say so at the top too, the details sit next to each line
                errors.setdefault("general", _("Some items cannot be ordered as they are: see the note next to "
                                               "each of them."))
        else:
            numbers = ", ".join(o.display_number for o in orders)
            messages.success(request, f"Order placed ({numbers}). Pay within "
                                      f"{settings.SOUK['PAYMENT_WINDOW_HOURS']} hours to confirm it."
                             if len(orders) == 1 else
                             f"{len(orders)} orders placed, one per store ({numbers}). Pay within "
                             f"{settings.SOUK['PAYMENT_WINDOW_HOURS']} hours to confirm them.")
            return redirect("orders:my_orders")
    preview = selectors.checkout_preview(buyer=request.user, address_id=address_id)
    store_errors = {_int(k.split(".", 1)[1]): m for k, m in errors.items() if k.startswith("shipping.")}
    return render(request, "orders/checkout.html", {
        "preview": preview, "errors": errors, "line_errors": line_errors, "store_errors": store_errors,
        "chosen": chosen,
    }, status=422 if errors else 200)


# --- Buyer's orders -----------------------------------------------------------------------

@login_required
@require_GET
def my_orders(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or ""
    query = request.GET.get("q", "").strip()
    error = ""
    try:
        page = selectors.buyer_orders(buyer=request.user, status=status or None, query=query or None,
                                      cursor=request.GET.get("cursor") or None,
                                      limit=settings.SOUK["ORDERS_PAGE_SIZE"])
    except DomainError as exc:
        error, page = exc.message, selectors.OrderPage(items=[], next_cursor=None)
    return render(request, "orders/my_orders.html", {
        "page": page, "tabs": TABS, "status": status, "q": query, "error": error,
    }, status=422 if error else 200)


@login_required
@require_GET
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    try:
        order = selectors.order_for_buyer(buyer=request.user, number=number)
    except NotFound:
        raise Http404 from None
    return _render_order(request, order, template="orders/order_detail.html")


def render_buyer_order(request: HttpRequest, number: str, *, errors=None, form=None, status=200,
                       open_dialog: str = "", pay_key: str = "") -> HttpResponse:
    """The buyer's order page, e.g. again with a form's errors next to its fields."""
    try:
        order = selectors.order_for_buyer(buyer=request.user, number=number)
    except NotFound:
        raise Http404 from None
    return _render_order(request, order, template="orders/order_detail.html", errors=errors, form=form,
                         status=status, open_dialog=open_dialog, pay_key=pay_key)


def _render_order(request, order, *, template, errors=None, form=None, status=200, open_dialog="",
                  pay_key="") -> HttpResponse:
    earliest, latest = selectors.estimated_delivery(order)
    if template == "orders/order_detail.html":
        extra = order_page.buyer_context(order, request.user)
        extra.update(compliance_page.buyer_panels(order, form))
        extra.update(dispute_page.order_dispute_panel(order))
        if pay_key:
            extra["pay_key"] = pay_key
    else:
        extra = order_page.seller_context(order, request.user)
        extra.update(compliance_page.seller_panels(order))
        extra.update(dispute_page.seller_dispute_panel(order))
    return render(request, template, {
        "order": order, "lines": order.lines.all(), "events": order.events.all(),
        "delivery_earliest": earliest, "delivery_latest": latest, "errors": errors or {}, "form": form or {},
        "can_confirm": order.status == Status.AWAITING_DELIVERY,
        "can_ship": order.status in (Status.AWAITING_SHIPMENT, Status.AWAITING_CANCELLATION),
        "open_dialog": open_dialog, **extra,
    }, status=status)


@login_required
@require_POST
def pay(request: HttpRequest, number: str) -> HttpResponse:
    """Pay an order awaiting payment with a sandbox card token; a decline is shown next to the form."""
    form = {"method": request.POST.get("method", ""), "token": request.POST.get("token", ""),
            "idempotency_key": request.POST.get("idempotency_key", "")}
    try:
        order_id = selectors.order_id_for(number=number, buyer=request.user)
        order_pay(buyer=request.user, order_id=order_id, **form)
    except NotFound:
        raise Http404 from None
    except GatewayUnavailable as exc:  # nothing known yet: retrying must reuse the same key
        return render_buyer_order(request, number, errors={"pay": exc.message}, form=form, status=503,
                                  pay_key=form["idempotency_key"])
    except PaymentDeclined as exc:
        return render_buyer_order(request, number, errors={"pay": exc.message}, form=form, status=422)
    except PaymentInProgress as exc:  # an earlier attempt is being checked: nothing wrong with this form
        return render_buyer_order(request, number, errors={"pay": exc.message}, form=form, status=409,
                                  pay_key=form["idempotency_key"])
    except DomainError as exc:
        errors = {f"pay_{k}" if k != "general" else "pay": v for k, v in _field_errors(exc).items()}
        return render_buyer_order(request, number, errors=errors, form=form, status=422)
    messages.success(request, _("Payment received. The seller has been asked to ship your order."))
    return redirect("orders:order_detail", number=number)


@login_required
@require_POST
def confirm_receipt(request: HttpRequest, number: str) -> HttpResponse:
    try:
        order_id = selectors.order_id_for(number=number, buyer=request.user)
        fulfilment.order_confirm_receipt(buyer=request.user, order_id=order_id)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Thanks! The order is complete.")
    return redirect("orders:order_detail", number=number)


@login_required
@require_POST
def review(request: HttpRequest, number: str) -> HttpResponse:
    """Rate a completed order (overall and per detail, 1-5 stars) with an optional text."""
    fields = ("overall", "item_as_described", "communication", "shipping_speed")
    form = {name: request.POST.get(name, "") for name in (*fields, "text")}
    try:
        order_id = selectors.order_id_for(number=number, buyer=request.user)
        review_create(buyer=request.user, order_id=order_id, text=form["text"],
                      **{name: _int(form[name], form[name]) for name in fields})
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        errors = {f"review_{k}" if k != "general" else "review": v for k, v in _field_errors(exc).items()}
        return render_buyer_order(request, number, errors=errors, form=form, status=422)
    messages.success(request, _("Thank you for your review."))
    return redirect("orders:order_detail", number=number)


# --- Seller -------------------------------------------------------------------------------

@login_required
@require_GET
def seller_orders(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or ""
    error = ""
    try:
        page = selectors.store_orders(seller=request.user, status=status or None,
                                      cursor=request.GET.get("cursor") or None,
                                      limit=settings.SOUK["ORDERS_PAGE_SIZE"])
    except DomainError as exc:
        error, page = exc.message, selectors.OrderPage(items=[], next_cursor=None)
    return render(request, "orders/seller_orders.html", {"page": page, "tabs": TABS, "status": status,
                                                         "error": error}, status=422 if error else 200)


def render_seller_order(request: HttpRequest, number: str, *, errors=None, form=None, status=200) -> HttpResponse:
    """The seller's view of an order of their store, e.g. again with a form's errors next to its fields."""
    try:
        order = selectors.order_for_seller(seller=request.user, number=number)
    except NotFound:
        raise Http404 from None
    return _render_order(request, order, template="orders/seller_order_detail.html", errors=errors, form=form,
                         status=status)


@login_required
def seller_order_detail(request: HttpRequest, number: str) -> HttpResponse:
    """GET: the order as its seller sees it. POST: mark it shipped (carrier + tracking)."""
    if request.method == "POST":
        form = {"carrier": request.POST.get("carrier", ""), "tracking_number": request.POST.get("tracking_number", "")}
        try:
            order_id = selectors.order_id_for(number=number, store__owner=request.user)
            fulfilment.order_mark_shipped(seller=request.user, order_id=order_id, **form)
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            return render_seller_order(request, number, errors=_field_errors(exc), form=form, status=422)
        messages.success(request, "Marked as shipped. The buyer can now track the parcel.")
        return redirect(reverse("orders:seller_order_detail", args=[number]))
    return render_seller_order(request, number)
