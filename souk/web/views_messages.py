"""Messages on the order page (buyer and seller) and the notifications list. Thin: parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from souk.core.errors import DomainError, NotFound
from souk.messaging.services import message_send
from souk.notifications.services import notification_mark_read
from souk.orders import selectors
from souk.web import notifications_page
from souk.web.views_orders import render_buyer_order, render_seller_order


def _send(request: HttpRequest, number: str, *, visibility: dict, render_page, detail_url: str) -> HttpResponse:
    form = {"body": request.POST.get("body", "")}
    try:
        order_id = selectors.order_id_for(number=number, **visibility)
        message_send(sender=request.user, order_id=order_id, body=form["body"])
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        errors = {e.field: e.message for e in exc.errors} or {"body": exc.message}
        return render_page(request, number, errors={"body": errors.get("body") or exc.message}, form=form,
                           status=422)
    messages.success(request, _("Message sent."))
    return redirect(f"{detail_url}#messages")


@login_required
@require_POST
def buyer_message_send(request: HttpRequest, number: str) -> HttpResponse:
    from django.urls import reverse

    return _send(request, number, visibility={"buyer": request.user}, render_page=render_buyer_order,
                 detail_url=reverse("orders:order_detail", args=[number]))


@login_required
@require_POST
def seller_message_send(request: HttpRequest, number: str) -> HttpResponse:
    from django.urls import reverse

    return _send(request, number, visibility={"store__owner": request.user}, render_page=render_seller_order,
                 detail_url=reverse("orders:seller_order_detail", args=[number]))


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first; POST marks them all read."""
    if request.method == "POST":
        notifications_page.mark_all_read(request.user)
        messages.success(request, _("All notifications marked as read."))
        return redirect("web:notifications")
    try:
        page = notifications_page.latest(request.user, cursor=request.GET.get("cursor") or None)
    except DomainError as exc:
        return render(request, "notifications/list.html", {"page": None, "error": exc.message}, status=422)
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notification read and go to its dispute or its order (the buyer's or the seller's page)."""
    try:
        note = notification_mark_read(user=request.user, notification_id=notification_id)
    except NotFound:
        raise Http404 from None
    order = note.order
    if order is None:
        return redirect("web:notifications")
    buyer = order.buyer_id == request.user.pk
    dispute_id = (note.data or {}).get("dispute_id") if note.kind.startswith("dispute_") else None
    if isinstance(dispute_id, int):  # a dispute's step: straight to the dispute, on the reader's side
        return redirect("disputes:buyer_dispute" if buyer else "disputes:seller_dispute", dispute_id=dispute_id)
    if buyer:
        return redirect("orders:order_detail", number=order.number)
    return redirect("orders:seller_order_detail", number=order.number)
