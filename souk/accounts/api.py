"""Accounts API: registration, tokens, profile, email verification, password reset, address book.

Handlers are thin: parse, call one service or selector, answer. Errors are DomainErrors,
mapped to HTTP in souk/api.py.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from souk.accounts import addresses, selectors, services
from souk.accounts.schemas import (
    RETRY_AFTER_DOC,
    AddressIn,
    AddressOut,
    ContactIn,
    NoticeOut,
    PasswordResetConfirmIn,
    PasswordResetIn,
    RegisterIn,
    TokenCreatedOut,
    TokenCreateIn,
    TokenObtainIn,
    TokenOut,
    TooManyAttemptsOut,
    UserOut,
    VerifyEmailIn,
    VerifyEmailOut,
)
from souk.accounts.throttle import TooManyAttempts, client_address

router = Router(tags=["accounts"])

# The limited endpoints also answer 429 `too_many_attempts` with Retry-After (docs/api.md, Limits).
LIMITED = {"responses": {"429": {"description": "Too many attempts (`too_many_attempts`); wait Retry-After seconds.",
                                  "headers": RETRY_AFTER_DOC}}}


def _me(request: HttpRequest):
    return request.auth


def _user_out(user) -> UserOut:
    return UserOut.from_user(user, selectors.user_roles(user))


def _wait(response: HttpResponse, exc: TooManyAttempts) -> Status:
    """429 in the API's error shape, plus the Retry-After header (on Ninja's response for this request)."""
    response["Retry-After"] = str(exc.retry_after)
    return Status(exc.status, exc.as_dict())


# --- registration, tokens --------------------------------------------------------------------


@router.post("/auth/register", auth=None, response={201: UserOut, 429: TooManyAttemptsOut},
             openapi_extra=LIMITED, tags=["auth"])
def register(request: HttpRequest, payload: RegisterIn, response: HttpResponse):
    try:
        user = services.user_register(email=payload.email, password=payload.password,
                                      display_name=payload.display_name, phone=payload.phone,
                                      client=client_address(request))
    except TooManyAttempts as exc:
        return _wait(response, exc)
    return Status(201, _user_out(user))


@router.post("/auth/token", auth=None, response={201: TokenCreatedOut, 429: TooManyAttemptsOut},
             openapi_extra=LIMITED, tags=["auth"])
def token_obtain(request: HttpRequest, payload: TokenObtainIn, response: HttpResponse):
    try:
        token, raw = services.token_obtain(email=payload.email, password=payload.password, name=payload.name,
                                           client=client_address(request))
    except TooManyAttempts as exc:
        return _wait(response, exc)
    return Status(201, TokenCreatedOut(**TokenOut.from_token(token).model_dump(), token=raw))


@router.get("/tokens", response={200: list[TokenOut]}, tags=["auth"])
def tokens_list(request: HttpRequest):
    return [TokenOut.from_token(t) for t in selectors.token_list(user=_me(request))]


@router.post("/tokens", response={201: TokenCreatedOut}, tags=["auth"])
def tokens_create(request: HttpRequest, payload: TokenCreateIn):
    token, raw = services.token_issue(user=_me(request), name=payload.name)
    return Status(201, TokenCreatedOut(**TokenOut.from_token(token).model_dump(), token=raw))


@router.delete("/tokens/{token_id}", response={204: None}, tags=["auth"])
def tokens_revoke(request: HttpRequest, token_id: int):
    services.token_revoke(user=_me(request), token_id=token_id)
    return Status(204, None)


# --- profile, verification, password reset ---------------------------------------------------


@router.get("/me", response={200: UserOut})
def me(request: HttpRequest):
    return _user_out(_me(request))


@router.patch("/me", response={200: UserOut})
def me_update(request: HttpRequest, payload: ContactIn):
    user = _me(request)
    user = services.user_update_contact(
        user=user,
        display_name=user.display_name if payload.display_name is None else payload.display_name,
        phone=user.phone if payload.phone is None else payload.phone,
    )
    return _user_out(user)


@router.post("/auth/verify-email/send", response={202: NoticeOut},
             tags=["auth"])
def verify_email_send(request: HttpRequest):
    user = _me(request)
    services.email_verification_send(user=user)
    return Status(202, NoticeOut(message=f"We sent a verification link to {user.email}."))


@router.post("/auth/verify-email", auth=None, response={200: VerifyEmailOut}, tags=["auth"])
def verify_email(request: HttpRequest, payload: VerifyEmailIn):
    user = services.email_verify(token=payload.token)
    return VerifyEmailOut(email=user.email, email_verified_at=user.email_verified_at)


@router.post("/auth/password-reset", auth=None, response={202: NoticeOut, 429: TooManyAttemptsOut},
             openapi_extra=LIMITED, tags=["auth"])
def password_reset(request: HttpRequest, payload: PasswordResetIn, response: HttpResponse):
    try:
        services.password_reset_request(email=payload.email, client=client_address(request))
    except TooManyAttempts as exc:
        return _wait(response, exc)
    return Status(202, NoticeOut(message="If an account uses this email, we sent it a link to reset the password."))


@router.post("/auth/password-reset/confirm", auth=None, response={200: NoticeOut},
             tags=["auth"])
def password_reset_confirm(request: HttpRequest, payload: PasswordResetConfirmIn):
    services.password_reset_confirm(uid=payload.uid, token=payload.token, new_password=payload.new_password)
    return NoticeOut(message="Your password was changed. Log in with the new one.")


# --- address book ----------------------------------------------------------------------------


@router.get("/addresses", response={200: list[AddressOut]}, tags=["addresses"])
def address_list(request: HttpRequest):
    return list(selectors.address_list(user=_me(request)))


@router.post("/addresses", response={201: AddressOut},
             tags=["addresses"])
def address_create(request: HttpRequest, payload: AddressIn):
    return Status(201, addresses.address_create(user=_me(request), data=payload.model_dump()))


@router.get("/addresses/{address_id}", response={200: AddressOut},
            tags=["addresses"])
def address_get(request: HttpRequest, address_id: int):
    return selectors.address_get(user=_me(request), address_id=address_id)


@router.put("/addresses/{address_id}", response={200: AddressOut},
            tags=["addresses"])
def address_update(request: HttpRequest, address_id: int, payload: AddressIn):
    return addresses.address_update(user=_me(request), address_id=address_id, data=payload.model_dump())


@router.delete("/addresses/{address_id}", response={204: None},
               tags=["addresses"])
def address_delete(request: HttpRequest, address_id: int):
    addresses.address_delete(user=_me(request), address_id=address_id)
    return Status(204, None)


@router.post("/addresses/{address_id}/default", response={200: AddressOut},
             tags=["addresses"])
def address_set_default(request: HttpRequest, address_id: int):
    return addresses.address_set_default(user=_me(request), address_id=address_id)
