"""Cancelling from the pages: the buyer's pop-up (or its no-JavaScript page), withdrawing a request,
the seller's answer and own cancellation, and the staff page. Thin: parse, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from souk.cancellations import services as cancellations
from souk.cancellations.reasons import reasons_for
from souk.compliance.selectors import out_of_stock_cancellation_preview
from souk.core.errors import DomainError, NotFound, ValidationFailed
from souk.core.money import format_money
from souk.orders import selectors
from souk.web import order_page
from souk.web.views_orders import render_buyer_order, render_seller_order


def _errors(exc: DomainError) -> dict[str, str]:
    return {e.field: e.message for e in exc.errors} or {"cancel": exc.message}


def _deadline(moment) -> str:
    return timezone.localtime(moment).strftime("%-d %b %Y, %H:%M %Z") if moment else ""


@login_required
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    """GET: the cancel form as a page (what the Cancel Order button opens without JavaScript).
    POST: cancel at once, or ask the seller, as the policy decides."""
    try:
        order = selectors.order_for_buyer(buyer=request.user, number=number)
    except NotFound:
        raise Http404 from None
    form = {"reason": request.POST.get("reason", ""), "note": request.POST.get("note", "")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            result = cancellations.order_cancel_by_buyer(buyer=request.user, order_id=order.pk, **form)
        except cancellations.CancellationRefused as exc:
            messages.error(request, f"{exc.why_not} {exc.next_step}")
            return redirect("orders:order_detail", number=order.number)
        except ValidationFailed as exc:
            errors = _errors(exc)
            if request.htmx:  # the pop-up opens again with the errors next to the fields
                return render_buyer_order(request, number, errors=errors, form=form, status=422,
                                          open_dialog="cancel")
        else:
            if result.outcome == "cancel_now":
                refund = result.refund
                messages.success(request, _("Your order is cancelled. %(amount)s is on its way back to you.")
                                 % {"amount": format_money(refund.amount_minor, refund.currency)} if refund
                                 else _("Your order is cancelled. Nothing was charged."))
            else:
                messages.success(request, _("Your cancellation request was sent to the seller. They must answer by "
                                            "%(deadline)s; if they do not, it is approved automatically.")
                                 % {"deadline": _deadline(result.request.respond_by)})
            return redirect("orders:order_detail", number=order.number)
    panel = order_page.cancel_panel(order, "buyer")
    if not panel["decision"].allowed:
        messages.error(request, f"{panel['decision'].why_not} {panel['decision'].next_step}")
        return redirect("orders:order_detail", number=order.number)
    return render(request, "orders/cancel.html", {"order": order, "errors": errors, "form": form, **panel},
                  status=422 if errors else 200)


@login_required
def withdraw_request(request: HttpRequest, number: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("orders:order_detail", number=number)
    try:
        order_id = selectors.order_id_for(number=number, buyer=request.user)
        cancellations.cancellation_request_withdraw(buyer=request.user, order_id=order_id)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Request withdrawn: the seller will ship your order."))
    return redirect("orders:order_detail", number=number)


@login_required
def seller_answer(request: HttpRequest, number: str) -> HttpResponse:
    """Approve the buyer's request, or reject it saying why (with tracking if the parcel already left)."""
    if request.method != "POST":
        return redirect("orders:seller_order_detail", number=number)
    decision = request.POST.get("decision", "")
    form = {k: request.POST.get(k, "") for k in ("reason", "note", "carrier", "tracking_number")}
    try:
        order_id = selectors.order_id_for(number=number, store__owner=request.user)
        if decision == "approve":
            cancellations.cancellation_request_approve(seller=request.user, order_id=order_id)
        elif decision == "reject":
            cancellations.cancellation_request_reject(
                seller=request.user, order_id=order_id, reason=form["reason"], note=form["note"],
                carrier=form["carrier"] or None, tracking_number=form["tracking_number"] or None)
        else:
            raise ValidationFailed(_("Choose approve or reject."), code="required", field="decision")
    except NotFound:
        raise Http404 from None
    except ValidationFailed as exc:
        errors = {f"answer_{k}": v for k, v in _errors(exc).items()}
        return render_seller_order(request, number, errors=errors, form=form, status=422)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Cancellation approved: the buyer is refunded.") if decision == "approve"
                         else _("Request rejected: the buyer has been told why."))
    return redirect("orders:seller_order_detail", number=number)


@login_required
def seller_cancel(request: HttpRequest, number: str) -> HttpResponse:
    """The seller cancels an order they cannot fulfil; the buyer is refunded in full.

    Out of stock first answers with a confirm page showing the store's cancellation rate now and after
    (compliance's preview); only the confirmed post (`confirm=yes`) cancels."""
    if request.method != "POST":
        return redirect("orders:seller_order_detail", number=number)
    form = {"reason": request.POST.get("reason", ""), "note": request.POST.get("note", "")}
    try:
        order_id = selectors.order_id_for(number=number, store__owner=request.user)
        if form["reason"] == "out_of_stock" and request.POST.get("confirm") != "yes":
            # Out of stock counts against the store's cancellation rate: show the hit before confirming.
            preview = out_of_stock_cancellation_preview(seller=request.user, order_id=order_id)
            order = selectors.order_for_seller(seller=request.user, order_id=order_id)
            return render(request, "orders/seller_cancel_confirm.html",
                          {"order": order, "preview": preview, "form": form})
        cancellations.order_cancel_by_seller(seller=request.user, order_id=order_id, **form)
    except NotFound:
        raise Http404 from None
    except ValidationFailed as exc:
        errors = {f"seller_cancel_{k}": v for k, v in _errors(exc).items()}
        return render_seller_order(request, number, errors=errors, form=form, status=422)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Order cancelled; the buyer is refunded in full."))
    return redirect("orders:seller_order_detail", number=number)


STAFF_REASONS = ("quality_control_failure", "customs_restriction", "risk")


@login_required
def staff_cancel(request: HttpRequest) -> HttpResponse:
    """Staff cancel an order for quality control, customs or risk, by its number."""
    if not request.user.is_staff:
        raise Http404
    reasons = [r for r in reasons_for("staff") if r.code in STAFF_REASONS]
    form = {k: request.POST.get(k, "").strip() for k in ("number", "reason", "note")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            if form["reason"] not in STAFF_REASONS:
                raise ValidationFailed(_("Choose quality control, customs or risk."), code="unknown_reason",
                                       field="reason")
            order_id = selectors.order_id_for(number=form["number"] or "0")
            cancellations.order_cancel_by_staff(staff=request.user, order_id=order_id, reason=form["reason"],
                                                note=form["note"])
        except NotFound:
            errors = {"number": _("No order has this number.")}
        except ValidationFailed as exc:
            errors = _errors(exc)
        except DomainError as exc:
            errors = {"cancel": exc.message}
        else:
            messages.success(request, _("Order %(number)s cancelled; the buyer is refunded and both parties are "
                                        "told.") % {"number": form["number"]})
            return redirect("web:staff_cancel")
    return render(request, "cancellations/staff_cancel.html", {"reasons": reasons, "form": form, "errors": errors},
                  status=422 if errors else 200)
