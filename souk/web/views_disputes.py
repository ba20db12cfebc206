"""Dispute pages (docs/disputes.md): the buyer opens and follows a dispute, the seller answers it, staff
decide escalated ones; evidence photos are served to the parties and staff only. Thin: parse the form,
call one dispute service, render. A form's bad input comes back next to its field (422); what the
policy refuses comes back as its why-not text."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from souk.core.errors import DomainError, NotFound, ValidationFailed
from souk.disputes import services as disputes
from souk.disputes.conf import setting as dispute_setting
from souk.disputes.selectors import dispute_view, escalated_disputes, evidence_for
from souk.ledger.selectors import order_held_minor
from souk.orders import selectors as orders
from souk.web import dispute_page, order_page

SIDES = {"buyer": "disputes:buyer_dispute", "seller": "disputes:seller_dispute"}


def _errors(exc: DomainError, default: str = "general") -> dict[str, str]:
    out: dict[str, str] = {}
    for e in exc.errors:
        out.setdefault(e.field.split("[")[0].split(".")[0], e.message)
    return out or {default: exc.message}


def _refusal(exc: DomainError) -> str:
    return " ".join(t for t in (getattr(exc, "why_not", "") or exc.message, getattr(exc, "next_step", "")) if t)


# --- The buyer opens a dispute ------------------------------------------------------------------

@login_required
def dispute_open(request: HttpRequest, number: str) -> HttpResponse:
    """GET: the open form (what the order page's "Open a dispute" button leads to). POST: open it, with
    the photos; every field and photo is checked before anything is written."""
    try:
        order = orders.order_for_buyer(buyer=request.user, number=number)
    except NotFound:
        raise Http404 from None
    fields = ("reason", "kind", "amount", "description")
    form = {k: request.POST.get(k, "") for k in fields}
    form["lines"] = {int(k[5:]) for k in request.POST if k.startswith("line_") and k[5:].isdigit()}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            photos = dispute_page.read_photos(request.FILES.getlist("evidence"))
            amount = dispute_page.parse_amount(form["amount"], order.currency)
            lines = dispute_page.chosen_lines(request.POST, order)
            dispute = disputes.dispute_open(buyer=request.user, order_id=order.pk, reason=form["reason"],
                                            kind=form["kind"], description=form["description"],
                                            amount_minor=amount, lines=lines)
            for content in photos:
                disputes.dispute_add_evidence(user=request.user, party="buyer", dispute_id=dispute.pk,
                                              content=content)
        except disputes.DisputeRefused as exc:
            errors, status = {"general": _refusal(exc)}, 409
        except DomainError as exc:
            errors, status = _errors(exc), 422
        else:
            messages.success(request, _("Your dispute is open. The seller has until %(when)s to answer; if they "
                                        "do not, your request is accepted.")
                             % {"when": f"{dispute.due_at:%-d %b %Y, %H:%M} UTC"})
            return redirect("disputes:buyer_dispute", dispute_id=dispute.pk)
    held, choices = dispute_page.opening_choices(order)
    if request.method == "GET" and not any(c["verdict"]["allowed"] for c in choices):
        refusal = next(c["verdict"] for c in choices if not c["verdict"]["allowed"])
        messages.error(request, f"{refusal['why_not']} {refusal['next_step']}")
        return redirect("orders:order_detail", number=order.number)
    return render(request, "disputes/open.html", {
        "order": order, "lines": order.lines.all(), "held_minor": held, "reasons": choices,
        "kinds": dispute_page.KINDS, "form": form, "errors": errors,
        "max_mb": int(dispute_setting("DISPUTE_EVIDENCE_MAX_BYTES")) // (1024 * 1024),
    }, status=status)


# --- Following a dispute: the buyer's and the seller's page --------------------------------------

def _render_dispute(request: HttpRequest, party: str, dispute_id: int, *, errors=None, form=None,
                    status: int = 200) -> HttpResponse:
    try:
        view = dispute_view(user=request.user, party=party, dispute_id=dispute_id)
    except NotFound:
        raise Http404 from None
    d = view.dispute
    order = d.order
    order.store = d.store  # the thread's heading names the store: no second query for it
    titles = {line.pk: line.title for line in order.lines.all()}
    ctx = {
        "view": view, "d": d, "order": order, "party": party, "errors": errors or {}, "form": form or {},
        "kinds": dispute_page.KINDS, "refunds": order_page.refund_views(order.pk),
        "due_text": dispute_page.due_text(d, party), "silence_text": dispute_page.silence_text(d),
        "held_minor": order_held_minor(order.pk, order.currency) if d.is_open else 0,
        "dispute_lines": [(titles.get(i["line_id"], "?"), i["quantity"]) for i in d.lines],
        "act_url": "disputes:buyer_act" if party == "buyer" else "disputes:seller_act",
        "agreed_by": dispute_page.agreed_by(d),
    }
    ctx.update(order_page.conversation_panel(order, request.user, side=party))
    return render(request, "disputes/dispute.html", ctx, status=status)


@login_required
@require_GET
def buyer_dispute(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _render_dispute(request, "buyer", dispute_id)


@login_required
@require_GET
def seller_dispute(request: HttpRequest, dispute_id: int) -> HttpResponse:
    return _render_dispute(request, "seller", dispute_id)


def _offer(request, party: str, dispute_id: int, currency: str) -> str:
    amount = dispute_page.parse_amount(request.POST.get("amount", ""), currency, required=True)
    disputes.dispute_counter(user=request.user, party=party, dispute_id=dispute_id,
                             kind=request.POST.get("kind", ""), amount_minor=amount,
                             note=request.POST.get("note", ""))
    return _("Your offer was sent.")


def _add_photos(request, party: str, dispute_id: int, photos: list[bytes]) -> int:
    for content in photos:
        disputes.dispute_add_evidence(user=request.user, party=party, dispute_id=dispute_id, content=content,
                                      note=request.POST.get("evidence_note", ""))
    return len(photos)


def _act(request, party: str, dispute_id: int, act: str, currency: str) -> str:
    """One step of the dispute (the policy and the services decide); the flash message to show. Every
    photo of the form is checked before the step is taken."""
    user, post = request.user, request.POST
    photos = dispute_page.read_photos(request.FILES.getlist("evidence"))
    if act == "accept":
        d = disputes.dispute_accept(user=user, party=party, dispute_id=dispute_id)
        return _("Offer accepted: the return comes first.") if d.state == "awaiting_return" \
            else _("Offer accepted: the refund has started.")
    if act == "counter":
        return _offer(request, party, dispute_id, currency)
    if act == "escalate":
        disputes.dispute_escalate(user=user, party=party, dispute_id=dispute_id, note=post.get("note", ""))
        _add_photos(request, party, dispute_id, photos)
        return _("Souk will review the dispute and decide.")
    if act == "evidence":
        if not photos:
            raise ValidationFailed(_("Choose at least one photo."), code="required", field="evidence")
        n = _add_photos(request, party, dispute_id, photos)
        return _("Photo added.") if n == 1 else _("%(n)s photos added.") % {"n": n}
    if party == "buyer" and act == "withdraw":
        disputes.dispute_withdraw(buyer=user, dispute_id=dispute_id)
        return _("Dispute withdrawn.")
    if party == "buyer" and act == "return":
        disputes.dispute_return_tracking(buyer=user, dispute_id=dispute_id, carrier=post.get("carrier", ""),
                                         tracking_number=post.get("tracking_number", ""))
        return _("Thanks: the seller has been told the return is on its way.")
    if party == "seller" and act == "reject":
        disputes.dispute_reject(seller=user, dispute_id=dispute_id, note=post.get("note", ""))
        _add_photos(request, party, dispute_id, photos)
        return _("Request rejected: the buyer has been told why.")
    if party == "seller" and act == "confirm_return":
        disputes.dispute_confirm_return(seller=user, dispute_id=dispute_id)
        return _("Return received: the buyer's refund has started.")
    raise Http404


FORM_FIELDS = ("kind", "amount", "note", "carrier", "tracking_number", "evidence_note")


def _dispute_act(request: HttpRequest, party: str, dispute_id: int, act: str) -> HttpResponse:
    try:
        currency = dispute_view(user=request.user, party=party, dispute_id=dispute_id).dispute.currency
    except NotFound:
        raise Http404 from None
    try:
        text = _act(request, party, dispute_id, act, currency)
    except NotFound:
        raise Http404 from None
    except ValidationFailed as exc:
        errors = {f"{act}_{k}": v for k, v in _errors(exc).items()}
        form = {"act": act, **{k: request.POST.get(k, "") for k in FORM_FIELDS}}
        return _render_dispute(request, party, dispute_id, errors=errors, form=form, status=422)
    except DomainError as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, text)
    return redirect(SIDES[party], dispute_id=dispute_id)


@login_required
@require_POST
def buyer_act(request: HttpRequest, dispute_id: int, act: str) -> HttpResponse:
    return _dispute_act(request, "buyer", dispute_id, act)


@login_required
@require_POST
def seller_act(request: HttpRequest, dispute_id: int, act: str) -> HttpResponse:
    return _dispute_act(request, "seller", dispute_id, act)


# --- Evidence photos ------------------------------------------------------------------------------

@login_required
@require_GET
def evidence_file(request: HttpRequest, evidence_id: int) -> HttpResponse:
    """A photo, to the dispute's parties and staff only; always served as the image type it was checked
    to be, never sniffed, never run."""
    try:
        evidence = evidence_for(user=request.user, evidence_id=evidence_id)
        handle = default_storage.open(evidence.file, "rb")
    except (NotFound, FileNotFoundError):
        raise Http404 from None
    response = FileResponse(handle, content_type=evidence.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = f'inline; filename="evidence-{evidence.pk}"'
    return response


# --- Staff ------------------------------------------------------------------------------------------

def _staff_or_404(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise Http404


def _render_staff(request: HttpRequest, *, errors=None, form=None, status: int = 200) -> HttpResponse:
    return render(request, "disputes/staff.html", {
        "views": escalated_disputes(staff=request.user), "errors": errors or {}, "form": form or {},
        "outcomes": list(dispute_page.STAFF_OUTCOME_LABELS.items()),
        "evidence_days": dispute_setting("DISPUTE_EVIDENCE_DAYS"),
    }, status=status)


@login_required
@require_GET
def staff_disputes(request: HttpRequest) -> HttpResponse:
    """Escalated disputes, oldest escalation first, with both sides' offers, the evidence and messages."""
    _staff_or_404(request)
    return _render_staff(request)


@login_required
@require_POST
def staff_act(request: HttpRequest, dispute_id: int, act: str) -> HttpResponse:
    """Decide an escalated dispute, or ask a party for more evidence."""
    _staff_or_404(request)
    form = {k: request.POST.get(k, "") for k in ("outcome", "amount", "note", "party")}
    form["dispute_id"] = dispute_id
    try:
        if act == "decide":
            try:
                currency = dispute_view(user=request.user, party="staff", dispute_id=dispute_id).dispute.currency
            except NotFound:
                raise Http404 from None
            amount = dispute_page.parse_amount(form["amount"], currency,
                                               required=form["outcome"] == "partial_refund")
            disputes.dispute_decide(staff=request.user, dispute_id=dispute_id, outcome=form["outcome"],
                                    note=form["note"], amount_minor=amount)
            text = _("Decided: both parties are told.")
        elif act == "request_evidence":
            d = disputes.dispute_request_evidence(staff=request.user, dispute_id=dispute_id, party=form["party"],
                                              note=form["note"])
            text = _("Evidence asked for: they have until %(when)s.") % {"when": f"{d.due_at:%-d %b %Y, %H:%M} UTC"}
        else:
            raise Http404
    except NotFound:
        raise Http404 from None
    except ValidationFailed as exc:
        errors = {f"{act}_{k}": v for k, v in _errors(exc).items()}
        return _render_staff(request, errors=errors, form={**form, "act": act}, status=422)
    except DomainError as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, text)
    return redirect("disputes:staff_disputes")
