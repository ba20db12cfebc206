"""Page forms. They only shape input: every rule lives in the services, whose field errors the
views put back next to the matching input (`form_apply_errors`)."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django_countries import countries

from souk.accounts import services
from souk.accounts.addresses import field_labels, fields_unused
from souk.accounts.throttle import TooManyAttempts, client_address
from souk.core.errors import DomainError


def form_apply_errors(form: forms.Form, exc: DomainError, rename: dict[str, str] | None = None) -> None:
    """Puts a service's field errors on the form's fields (unknown fields become form-wide errors)."""
    rename = rename or {}
    if not exc.errors:
        form.add_error(None, exc.message)
        return
    for err in exc.errors:
        name = rename.get(err.field, err.field)
        form.add_error(name if name in form.fields else None, err.message)


class LimitedLoginMixin:
    """Django's login form checking the password through `services.user_authenticate`, so the login limits
    apply (docs/api.md, Limits). A refusal for too many attempts is a form-wide error and stays on the form
    as `too_many_attempts`, for the view to answer 429 with Retry-After."""

    too_many_attempts: TooManyAttempts | None = None

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            try:
                self.user_cache = services.user_authenticate(email=email, password=password, request=self.request,
                                                             client=client_address(self.request))
            except TooManyAttempts as exc:
                self.too_many_attempts = exc
                raise forms.ValidationError(exc.message, code=exc.code) from None
            except services.InvalidCredentials:
                raise self.get_invalid_login_error() from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class LoginForm(LimitedLoginMixin, AuthenticationForm):
    username = forms.EmailField(label="Email", max_length=254,
                                widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))

    def clean_username(self) -> str:
        return services.normalize_email(self.cleaned_data["username"])


class AdminLoginForm(LimitedLoginMixin, AdminAuthenticationForm):
    """The admin's login form (souk/accounts/admin.py), under the same limits."""


class RegisterForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    display_name = forms.CharField(label="Display name", required=False, max_length=80,
                                   help_text="Shown to sellers you talk to. Optional.")
    phone = forms.CharField(label="Phone", required=False, max_length=40,
                            help_text="International format, e.g. +14155550100. Optional.",
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}))
    password1 = forms.CharField(label="Password", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text="At least 8 characters, not a common password, not only digits.")
    password2 = forms.CharField(label="Password again", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", "The two passwords are not the same.")
        return data


class ContactForm(forms.Form):
    display_name = forms.CharField(label="Display name", required=False, max_length=80)
    phone = forms.CharField(label="Phone", required=False, max_length=40,
                            help_text="International format, e.g. +14155550100.",
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}))


class PasswordResetRequestForm(PasswordResetForm):
    """Django's reset page, sending through our service (same mail as the API)."""

    email = forms.EmailField(label="Email", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def save(self, *args, request=None, **kwargs) -> None:
        services.password_reset_request(email=self.cleaned_data["email"], client=client_address(request))


class NewPasswordForm(SetPasswordForm):
    """The reset link's form: Django's, finishing through `services.password_reset_apply` (every API token
    revoked, every session logged out), as the API does."""

    def save(self, commit: bool = True):
        return services.password_reset_apply(user=self.user, new_password=self.cleaned_data["new_password1"])


class AddressForm(forms.Form):
    """Every field is optional here: which ones a country needs is the service's call."""

    country = forms.ChoiceField(label="Country", required=False)
    name = forms.CharField(label="Recipient name", required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    company_name = forms.CharField(label="Company name", required=False,
                                   widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    street_address = forms.CharField(label="Street address", required=False,
                                     widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "street-address"}))
    city_area = forms.CharField(label="District", required=False)
    city = forms.CharField(label="City", required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    country_area = forms.CharField(label="State / province / region", required=False,
                                   widget=forms.TextInput(attrs={"autocomplete": "address-level1"}))
    postal_code = forms.CharField(label="Postal code", required=False,
                                  widget=forms.TextInput(attrs={"autocomplete": "postal-code"}))
    sorting_code = forms.CharField(label="Sorting code", required=False)
    phone = forms.CharField(label="Phone", required=False,
                            help_text="The carrier calls this number. Local numbers are read for the country above.",
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}))
    label = forms.CharField(label="Label", required=False, help_text="e.g. Home, Work")
    is_default = forms.BooleanField(label="Use as my default address", required=False)

    def __init__(self, *args, country: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "Choose a country")] + list(countries)
        # Name the fields the way the chosen country does ("State", "ZIP code", "Prefecture").
        chosen = (self.data.get("country") if self.is_bound else None) or country
        for name, label in field_labels(chosen).items():
            if name in self.fields:
                self.fields[name].label = label
        # and leave out the lines it does not use (the service would drop them anyway).
        for name in fields_unused(chosen):
            del self.fields[name]
