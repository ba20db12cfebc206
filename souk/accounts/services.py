"""Account use cases: logging in, registration, contact details, email verification, password reset, API tokens.

Each function is one use case in one transaction. Mail leaves only after the commit
(`transaction.on_commit`), so a rolled-back registration never sends anything. The limits of
souk/accounts/throttle.py are counted before that transaction opens, so a refusal cannot roll
its count back.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from souk.accounts import throttle
from souk.accounts.conf import setting
from souk.accounts.error_codes import ErrorCode
from souk.accounts.models import PersonalAccessToken, User
from souk.accounts.phones import INVALID_PHONE, phone_to_e164
from souk.accounts.tokens import token_create
from souk.core.errors import Conflict, DomainError, ErrorCollector, NotFound, ValidationFailed

logger = logging.getLogger(__name__)

EMAIL_VERIFICATION_SALT = "souk.accounts.email-verification"
EMAIL_VERIFICATION_MAX_AGE = timedelta(days=3)
DISPLAY_NAME_MAX = User._meta.get_field("display_name").max_length
TOKEN_NAME_MAX = PersonalAccessToken._meta.get_field("name").max_length


class InvalidCredentials(DomainError):
    status = 401
    code = ErrorCode.INVALID_CREDENTIALS


# --- small helpers ---------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _check_phone(errors: ErrorCollector, phone: str) -> str:
    phone = (phone or "").strip()
    if not phone:
        return ""
    e164 = phone_to_e164(phone)
    if e164 is None:
        errors.add("phone", INVALID_PHONE,
                   "This phone number is not valid; use international format, e.g. +14155550100.")
        return phone
    return e164


def _check_display_name(errors: ErrorCollector, display_name: str) -> str:
    display_name = (display_name or "").strip()
    if len(display_name) > DISPLAY_NAME_MAX:
        errors.add("display_name", "too_long", f"Display name must be at most {DISPLAY_NAME_MAX} characters.")
    return display_name


def _check_password(errors: ErrorCollector, field: str, password: str, user: User) -> None:
    if not password:
        errors.add(field, "required", "Choose a password.")
        return
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        for err in exc.error_list:
            errors.add(field, err.code or "invalid_password", " ".join(err.messages))


def _mail_after_commit(*, to: str, subject: str, template: str, context: dict) -> None:
    body = render_to_string(template, context)

    def deliver() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
        except Exception:  # the state change committed; a mail outage must not turn it into a 500
            logger.exception("could not send %r to %s", subject, to)

    transaction.on_commit(deliver)


def _absolute(path: str) -> str:
    return settings.SOUK_BASE_URL.rstrip("/") + path


# --- registration and contact details ---------------------------------------------------------


def user_register(*, email: str, password: str, client: str, display_name: str = "", phone: str = "") -> User:
    """Creates a buyer account and mails a link to verify the address.

    One client address may open REGISTRATIONS_PER_CLIENT accounts per REGISTRATION_WINDOW_SECONDS
    (TooManyAttempts, 429; docs/api.md, Limits); a registration refused for its input does not count.
    """
    slot = throttle.take(throttle.REGISTRATIONS_PER_CLIENT, client)
    try:
        return _user_create(email=email, password=password, display_name=display_name, phone=phone)
    except BaseException:
        throttle.give_back(slot)
        raise


@transaction.atomic
def _user_create(*, email: str, password: str, display_name: str, phone: str) -> User:
    errors = ErrorCollector()
    email = normalize_email(email)
    try:
        validate_email(email)
    except ValidationError:
        errors.add("email", "invalid_email", "Enter a valid email address.")
    else:
        if User.objects.filter(email__iexact=email).exists():
            errors.add("email", "email_taken", "An account with this email already exists; log in instead.")
    display_name = _check_display_name(errors, display_name)
    phone = _check_phone(errors, phone)
    _check_password(errors, "password", password, User(email=email, display_name=display_name))
    errors.raise_if_any()
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, password, display_name=display_name, phone=phone)
    except IntegrityError:  # a concurrent registration won the race for this email
        raise ValidationFailed("An account with this email already exists; log in instead.",
                               code="email_taken", field="email") from None
    email_verification_send(user=user)
    return user


@transaction.atomic
def user_update_contact(*, user: User, display_name: str, phone: str) -> User:
    """Changes the account's display name and contact phone (stored E.164)."""
    errors = ErrorCollector()
    display_name = _check_display_name(errors, display_name)
    phone = _check_phone(errors, phone)
    errors.raise_if_any()
    user.display_name = display_name
    user.phone = phone
    user.save(update_fields=["display_name", "phone"])
    return user


# --- email verification ----------------------------------------------------------------------


def email_verification_token(user: User) -> str:
    """A signed, timestamped token naming the user and the address being verified."""
    return signing.TimestampSigner(salt=EMAIL_VERIFICATION_SALT).sign_object({"u": user.pk, "e": user.email})


def email_verification_send(*, user: User) -> None:
    """Mails a link to /accounts/verify-email/<token> (valid for three days)."""
    if user.email_verified_at is not None:
        raise Conflict("Your email address is already verified.", code="email_already_verified")
    link = _absolute(f"/accounts/verify-email/{email_verification_token(user)}")
    _mail_after_commit(to=user.email, subject="Verify your email address for Souk",
                       template="accounts/email/verify_email.txt",
                       context={"user": user, "link": link, "days": EMAIL_VERIFICATION_MAX_AGE.days})


@transaction.atomic
def email_verify(*, token: str) -> User:
    """Marks the address in `token` verified. Idempotent: a second click changes nothing."""
    signer = signing.TimestampSigner(salt=EMAIL_VERIFICATION_SALT)
    try:
        payload = signer.unsign_object(token or "", max_age=EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationFailed("This verification link has expired; ask for a new one from your profile.",
                               code="token_expired", field="token") from None
    except (signing.BadSignature, ValueError):
        raise ValidationFailed("This verification link is not valid.", code="invalid_token",
                               field="token") from None
    user_id, email = (payload.get("u"), payload.get("e")) if isinstance(payload, dict) else (None, None)
    user = User.objects.select_for_update().filter(pk=user_id, email=email, is_active=True).first()
    if user is None:  # the account changed its email (or went away) since the link was sent
        raise ValidationFailed("This verification link is not valid.", code="invalid_token", field="token")
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


# --- password reset --------------------------------------------------------------------------


def password_reset_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/accounts/reset/{uid}/{default_token_generator.make_token(user)}/"


def password_reset_request(*, email: str, client: str) -> None:
    """Mails a reset link when an active account with a usable password has this email.

    Says nothing either way, so the form cannot be used to find out who has an account. Limits
    (docs/api.md, Limits): one client address may ask PASSWORD_RESETS_PER_CLIENT times a window
    (TooManyAttempts, 429, whatever the address asked for); one email address gets at most one mail
    per PASSWORD_RESET_EMAIL_INTERVAL_SECONDS and PASSWORD_RESET_EMAILS_PER_DAY a day, counted
    whether or not it has an account; past those nothing is sent and the answer is the same.
    """
    throttle.take(throttle.PASSWORD_RESETS_PER_CLIENT, client)
    email = normalize_email(email)
    try:
        throttle.take(throttle.RESET_EMAIL_SPACING, email)
        throttle.take(throttle.RESET_EMAILS_PER_DAY, email)
    except throttle.TooManyAttempts:
        return
    with transaction.atomic():
        for user in User.objects.filter(email__iexact=email, is_active=True):
            if not user.has_usable_password():
                continue
            _mail_after_commit(to=user.email, subject="Reset your Souk password",
                               template="accounts/email/password_reset.txt",
                               context={"user": user, "link": _absolute(password_reset_path(user))})


def password_reset_user(*, uid: str, token: str) -> User | None:
    """The user a reset link belongs to, when the link is still good."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uid or "")))
    except (ValueError, TypeError, OverflowError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Sets a new password from a reset link. The link stops working once used."""
    user = password_reset_user(uid=uid, token=token)
    if user is None:
        raise ValidationFailed("This password reset link is not valid or has expired; ask for a new one.",
                               code="invalid_token", field="token")
    errors = ErrorCollector()
    _check_password(errors, "new_password", new_password, user)
    errors.raise_if_any()
    return password_reset_apply(user=user, new_password=new_password)


@transaction.atomic
def password_reset_apply(*, user: User, new_password: str) -> User:
    """The end of every reset (the API's and the page's): the new password, and nothing the old one
    opened stays open. Every API token is revoked; every session is logged out on its next request,
    since Django checks each session against a hash of the password (the session auth hash)."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return user


# --- logging in ------------------------------------------------------------------------------


def user_authenticate(*, email: str, password: str, client: str, request=None) -> User:
    """The active user with this email and password: every way in (the login page, the admin, the API's
    token endpoint) comes through here.

    Each attempt counts against the account and against the client address before the password is
    checked; too many in the window lock either out for a while, the right password included
    (TooManyAttempts, 429; docs/api.md, Limits). Logging in starts the account's count afresh and does
    not count against the address. Not in a transaction: a refusal must not roll its count back.
    """
    email = normalize_email(email)
    account = throttle.take(throttle.LOGIN_PER_ACCOUNT, email)
    try:
        address = throttle.take(throttle.LOGIN_PER_CLIENT, client)
    except throttle.TooManyAttempts:
        throttle.give_back(account)
        raise
    user = authenticate(request, username=email, password=password or "")
    if user is None:
        raise InvalidCredentials("The email or password is not correct.")
    throttle.reset(throttle.LOGIN_PER_ACCOUNT, email)
    throttle.give_back(address)
    return user


# --- API tokens ------------------------------------------------------------------------------


def token_obtain(*, email: str, password: str, client: str, name: str = "") -> tuple[PersonalAccessToken, str]:
    """Trades an email and password (a login: `user_authenticate`) for a new personal access token
    (secret returned once)."""
    user = user_authenticate(email=email, password=password, client=client)
    with transaction.atomic():
        return _token_create_within_cap(user=user, name=name or "API token")


@transaction.atomic
def token_issue(*, user: User, name: str) -> tuple[PersonalAccessToken, str]:
    """Creates a named token for a signed-in user (secret returned once)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Give the token a name, e.g. the script that will use it.", code="required",
                               field="name")
    if len(name) > TOKEN_NAME_MAX:
        raise ValidationFailed(f"Token name must be at most {TOKEN_NAME_MAX} characters.", code="too_long",
                               field="name")
    return _token_create_within_cap(user=user, name=name)


def _token_create_within_cap(*, user: User, name: str) -> tuple[PersonalAccessToken, str]:
    """A new token, unless the user already holds API_TOKENS_PER_USER live ones (409 `too_many_tokens`;
    docs/api.md, Limits). The user's row is locked first, so two requests at once cannot both take the
    last place. Runs inside the caller's transaction."""
    cap = setting("API_TOKENS_PER_USER")
    if cap:
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        live = PersonalAccessToken.objects.filter(user_id=user.pk, revoked_at__isnull=True).count()
        if live >= cap:
            raise Conflict(f"You already hold {live} live API tokens, the most one account may have. Revoke "
                           "one you no longer use (DELETE /api/tokens/{id}), then create this one.",
                           code=ErrorCode.TOO_MANY_TOKENS)
    return token_create(user=user, name=name)


@transaction.atomic
def token_revoke(*, user: User, token_id: int) -> PersonalAccessToken:
    """Revokes one of the user's tokens; it stops working at once. Idempotent."""
    token = PersonalAccessToken.objects.select_for_update().filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFound("Token not found.", code="token_not_found")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
