"""The seller dashboard, the balance page and the conversations list. Thin: call one selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from souk.core.errors import DomainError
from souk.messaging.selectors import conversations_for_user
from souk.payments.selectors import seller_balance
from souk.web.seller_dashboard import seller_dashboard


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.is_seller:
        return redirect("catalog:seller_store_open")
    return render(request, "web/seller_dashboard.html", {"board": seller_dashboard(seller=request.user)})


@login_required
@require_GET
def balance(request: HttpRequest) -> HttpResponse:
    """The store's money per order, read from the ledger (docs/money.md, Seller balance); 403 for a
    user without a store, 422 for a cursor Souk did not give out."""
    try:
        page = seller_balance(seller=request.user, cursor=request.GET.get("cursor") or None)
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from exc
        return render(request, "web/seller_balance.html", {"page": None, "error": exc.message}, status=422)
    return render(request, "web/seller_balance.html", {"page": page, "error": ""})


@login_required
@require_GET
def conversations(request: HttpRequest) -> HttpResponse:
    """Every conversation of the user, as buyer or seller, most recent first."""
    error = ""
    try:
        page = conversations_for_user(user=request.user, cursor=request.GET.get("cursor") or None)
    except DomainError as exc:
        error, page = exc.message, None
    return render(request, "messaging/conversations.html", {"page": page, "error": error},
                  status=422 if error else 200)

