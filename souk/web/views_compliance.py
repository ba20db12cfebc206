"""Pages for souk.compliance: the buyer fixes a flagged address or extends protection, the seller reports
an address problem or sees what an out-of-stock cancellation costs before confirming it, and staff keep
customs rules and flag products for quality control. Thin: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_countries import countries

from souk.catalog.models import Category
from souk.compliance import selectors as compliance
from souk.compliance.models import CustomsRule, QualityFlag
from souk.compliance.policy import rule_message
from souk.compliance.services import (
    address_fix,
    address_problem_report,
    customs_rule_cancel_hits,
    customs_rule_create,
    product_flag_quality,
    protection_extend,
)
from souk.core.errors import DomainError, NotFound, ValidationFailed
from souk.orders import selectors
from souk.web.compliance_page import FIX_FIELDS
from souk.web.views_orders import render_buyer_order, render_seller_order


def _errors(exc: DomainError, prefix: str = "", general: str = "general") -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.errors:
        out.setdefault(f"{prefix}{e.field}", e.message)
    return out or {general: exc.message}


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%-d %b %Y, %H:%M %Z") if moment else ""


def _int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return value


# --- Buyer ------------------------------------------------------------------------------------

@login_required
@require_POST
def order_address_fix(request: HttpRequest, number: str) -> HttpResponse:
    """The buyer corrects the address the seller or carrier flagged; the country stays as it was."""
    form = {name: request.POST.get(name, "") for name in (*FIX_FIELDS, "country")}
    try:
        order_id = selectors.order_id_for(number=number, buyer=request.user)
        address_fix(buyer=request.user, order_id=order_id, address=form)
    except NotFound:
        raise Http404 from None
    except ValidationFailed as exc:
        return render_buyer_order(request, number, errors=_errors(exc, "fix_", "fix"), form=form, status=422)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Address fixed. The seller has been told and can ship your order now."))
    return redirect("orders:order_detail", number=number)


@login_required
@require_POST
def order_protection_extend(request: HttpRequest, number: str) -> HttpResponse:
    """The buyer asks, once, for more buyer protection on an order that has not arrived."""
    form = {"days": request.POST.get("days", "")}
    try:
        order_id = selectors.order_id_for(number=number, buyer=request.user)
        extension = protection_extend(buyer=request.user, order_id=order_id, days=_int(form["days"]))
    except NotFound:
        raise Http404 from None
    except ValidationFailed as exc:
        return render_buyer_order(request, number, errors=_errors(exc, "protection_", "protection"), form=form,
                                  status=422)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Buyer protection extended to %(when)s. The seller has been told.")
                         % {"when": _when(extension.new_ends_at)})
    return redirect("orders:order_detail", number=number)


# --- Seller -----------------------------------------------------------------------------------

@login_required
@require_POST
def seller_address_problem(request: HttpRequest, number: str) -> HttpResponse:
    """The seller says the order's address cannot be used: the buyer gets a window to fix it."""
    form = {"reason": request.POST.get("reason", ""), "note": request.POST.get("note", "")}
    try:
        order_id = selectors.order_id_for(number=number, store__owner=request.user)
        problem = address_problem_report(seller=request.user, order_id=order_id, **form)
    except NotFound:
        raise Http404 from None
    except ValidationFailed as exc:
        return render_seller_order(request, number, errors=_errors(exc, "address_", "address"), form=form,
                                   status=422)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The buyer has been asked to fix the address by %(when)s. If they do not, "
                                    "the order is cancelled and refunded; it does not count against your store.")
                         % {"when": _when(problem.fix_by)})
    return redirect("orders:seller_order_detail", number=number)


# --- Staff ------------------------------------------------------------------------------------

def _staff_only(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise Http404


RULE_FIELDS = ("country", "kind", "category", "value_limit", "currency", "max_quantity", "note")


def _customs_page(request: HttpRequest, *, form=None, errors=None, impact=None, result=None,
                  status: int = 200) -> HttpResponse:
    return render(request, "web/staff_customs.html", {
        "rules": compliance.customs_rule_list(), "kinds": CustomsRule.Kind.choices,
        "countries": list(countries), "categories": Category.objects.order_by("name").values_list("slug", "name"),
        "form": form or {"currency": "USD"}, "errors": errors or {}, "impact": impact, "result": result,
        "impact_rule_text": rule_message(compliance.rule_snapshot(impact[0]), country=str(impact[0].country))
        if impact else "",
    }, status=status)


@login_required
def staff_customs(request: HttpRequest) -> HttpResponse:
    """GET: the rules and the form to add one. POST: add it, then show the orders it hits."""
    _staff_only(request)
    if request.method != "POST":
        rule_id = _int(request.GET.get("rule"))
        if isinstance(rule_id, int):
            try:
                return _customs_page(request, impact=compliance.customs_rule_impact(rule_id=rule_id))
            except NotFound:
                raise Http404 from None
        return _customs_page(request)
    form = {name: request.POST.get(name, "").strip() for name in RULE_FIELDS}
    data = {k: v for k, v in form.items() if v != ""}
    if "max_quantity" in data:
        data["max_quantity"] = _int(data["max_quantity"])
    try:
        created = customs_rule_create(staff=request.user, data=data)
    except ValidationFailed as exc:
        errors = _errors(exc)
        if "kind" in errors:  # the service lists the API's codes; a person picks one of the labels
            errors["kind"] = _("Choose the kind of rule.")
        return _customs_page(request, form=form, errors=errors, status=422)
    messages.success(request, _("Rule added. %(count)s paid, unshipped order(s) break it.")
                     % {"count": len(created.hits)})
    return redirect(f"{request.path}?rule={created.rule.pk}#impact")


@login_required
@require_POST
def staff_customs_cancel(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Cancel the chosen orders the rule hits (customs restriction, platform fault): refunded and told."""
    _staff_only(request)
    order_ids = [_int(v) for v in request.POST.getlist("order_id")]
    try:
        result = customs_rule_cancel_hits(staff=request.user, rule_id=rule_id, order_ids=order_ids)
    except NotFound:
        raise Http404 from None
    except ValidationFailed:
        try:
            impact = compliance.customs_rule_impact(rule_id=rule_id)
        except NotFound:
            raise Http404 from None
        return _customs_page(request, impact=impact, errors={"order_id": _("Choose at least one order to cancel.")},
                             status=422)
    if result.cancelled:
        messages.success(request, _("Cancelled and refunded: %(numbers)s.") % {"numbers": ", ".join(result.cancelled)})
    for skipped in result.skipped:
        messages.error(request, _("Order #%(id)s not cancelled: %(why)s")
                       % {"id": skipped["order_id"], "why": skipped["message"]})
    return redirect(f"{reverse('web:staff_customs')}?rule={rule_id}#impact")


@login_required
def staff_quality(request: HttpRequest) -> HttpResponse:
    """Flag a product counterfeit, damaged or of inferior quality: listing suspended, unshipped orders
    cancelled and refunded, buyers and seller told."""
    _staff_only(request)
    form = {k: request.POST.get(k, "").strip() for k in ("product_id", "kind", "evidence")}
    errors: dict[str, str] = {}
    if request.method == "POST":
        product_id = _int(form["product_id"])
        try:
            if not isinstance(product_id, int):
                raise ValidationFailed(_("Enter the product's number."), code="invalid_product", field="product_id")
            result = product_flag_quality(staff=request.user, product_id=product_id, kind=form["kind"],
                                          evidence=form["evidence"])
        except NotFound:
            errors = {"product_id": _("No product has this number.")}
        except ValidationFailed as exc:
            errors = _errors(exc)
            if "kind" in errors:
                errors["kind"] = _("Choose what is wrong with the product.")
        else:
            messages.success(request, _("Product %(id)s suspended; %(count)s unshipped order(s) cancelled and "
                                        "refunded.") % {"id": product_id, "count": len(result.cancelled)})
            return redirect("web:staff_quality")
    return render(request, "web/staff_quality.html", {"form": form, "errors": errors,
                                                      "kinds": QualityFlag.Kind.choices},
                  status=422 if errors else 200)
