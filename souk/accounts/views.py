"""Account pages. Thin: parse the form, call one service or selector, render. Plain form posts
with CSRF; nothing here needs JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from souk.accounts import addresses, selectors, services
from souk.accounts.forms import (
    AddressForm,
    ContactForm,
    PasswordResetRequestForm,
    RegisterForm,
    form_apply_errors,
)
from souk.accounts.throttle import TooManyAttempts, client_address
from souk.core.errors import DomainError, NotFound


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return default


def landing_url(user) -> str:
    """Where a person lands after logging in with nowhere else to go: a seller (a store owner) on the
    seller dashboard, anyone else on My Orders."""
    return reverse("web:seller_dashboard") if user.is_seller else reverse("orders:my_orders")


def answer_429_when_limited(response: HttpResponse, refusal: TooManyAttempts | None) -> HttpResponse:
    """A page refused by a limit (docs/api.md, Limits) shows its form with the message, as 429 with
    Retry-After."""
    if refusal is not None:
        response.status_code = refusal.status
        response["Retry-After"] = str(refusal.retry_after)
    return response


class LoginView(auth_views.LoginView):
    """Django's login, landing each person on their own page. A `next` on this site still wins
    (Django follows it only if `url_has_allowed_host_and_scheme` accepts it, so an off-site or
    `javascript:` link is ignored); without one, `landing_url`. Too many attempts: 429 (LoginForm)."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return landing_url(self.request.user)

    def form_invalid(self, form):
        return answer_429_when_limited(super().form_invalid(form), getattr(form, "too_many_attempts", None))


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request page, mailing through `services.password_reset_request`: the same answer
    for every address; a client over its limit gets the form back with the message, as 429."""

    template_name = "accounts/password_reset_form.html"
    form_class = PasswordResetRequestForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except TooManyAttempts as exc:
            form.add_error(None, exc.message)
            return answer_429_when_limited(self.form_invalid(form), exc)


def register(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_register(email=data["email"], password=data["password1"],
                                          display_name=data["display_name"], phone=data["phone"],
                                          client=client_address(request))
        except TooManyAttempts as exc:
            form.add_error(None, exc.message)
            return answer_429_when_limited(
                render(request, "accounts/register.html", {"form": form, "next": request.GET.get("next", "")}), exc)
        except DomainError as exc:
            form_apply_errors(form, exc, rename={"password": "password1"})
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Souk! We sent a link to {user.email} to verify it.")
            return redirect(_next_url(request, "/"))
    return render(request, "accounts/register.html", {"form": form, "next": request.GET.get("next", "")})


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the verification mail. Verifying twice is harmless, so a plain GET does it."""
    try:
        user = services.email_verify(token=token)
    except DomainError as exc:
        return render(request, "accounts/verify_email.html", {"error": exc.message, "code": exc.code},
                      status=400)
    return render(request, "accounts/verify_email.html", {"verified_email": user.email})


@login_required
@require_POST
def verify_email_send(request: HttpRequest) -> HttpResponse:
    try:
        services.email_verification_send(user=request.user)
    except DomainError as exc:
        messages.info(request, exc.message)
    else:
        messages.success(request, f"We sent a new verification link to {request.user.email}.")
    return redirect("accounts:profile")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ContactForm(request.POST or None, initial={"display_name": user.display_name, "phone": user.phone})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_contact(user=user, display_name=form.cleaned_data["display_name"],
                                         phone=form.cleaned_data["phone"])
        except DomainError as exc:
            form_apply_errors(form, exc)
        else:
            messages.success(request, "Your contact details were saved.")
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "roles": selectors.user_roles(user)})


# --- address book ----------------------------------------------------------------------------


@login_required
def address_list(request: HttpRequest) -> HttpResponse:
    book = list(selectors.address_list(user=request.user))
    return render(request, "accounts/addresses.html", {"addresses": book, "max_addresses": addresses.MAX_ADDRESSES})


@login_required
def address_add(request: HttpRequest) -> HttpResponse:
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            address = addresses.address_create(user=request.user, data=form.cleaned_data)
        except DomainError as exc:
            form_apply_errors(form, exc)
        else:
            messages.success(request, f"Address for {address.name} added.")
            return redirect(_next_url(request, "accounts:addresses"))
    return render(request, "accounts/address_form.html",
                  {"form": form, "editing": None, "next": request.GET.get("next", "")})


@login_required
def address_edit(request: HttpRequest, address_id: int) -> HttpResponse:
    try:
        address = selectors.address_get(user=request.user, address_id=address_id)
    except NotFound:
        raise Http404("Address not found.") from None
    initial = {**address.snapshot(), "label": address.label, "is_default": address.is_default}
    form = AddressForm(request.POST or None, initial=initial, country=address.country.code)
    if request.method == "POST" and form.is_valid():
        try:
            addresses.address_update(user=request.user, address_id=address_id, data=form.cleaned_data)
        except NotFound:
            raise Http404("Address not found.") from None
        except DomainError as exc:
            form_apply_errors(form, exc)
        else:
            messages.success(request, "Address saved.")
            return redirect("accounts:addresses")
    return render(request, "accounts/address_form.html", {"form": form, "editing": address})


@login_required
@require_POST
def address_delete(request: HttpRequest, address_id: int) -> HttpResponse:
    try:
        addresses.address_delete(user=request.user, address_id=address_id)
    except NotFound:
        raise Http404("Address not found.") from None
    messages.success(request, "Address deleted.")
    return redirect("accounts:addresses")


@login_required
@require_POST
def address_default(request: HttpRequest, address_id: int) -> HttpResponse:
    try:
        address = addresses.address_set_default(user=request.user, address_id=address_id)
    except NotFound:
        raise Http404("Address not found.") from None
    messages.success(request, f"Default address is now {address.name}, {address.street_address}.")
    return redirect("accounts:addresses")
