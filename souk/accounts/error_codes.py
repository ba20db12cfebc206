"""The error codes of accounts (sign-up, tokens, profile, address book); shared ones are in
souk/core/error_codes.py. Listed in docs/api.md ("Error codes") by `souk apidoc`."""

from __future__ import annotations

from souk.core.error_codes import ErrorCodeEnum


class ErrorCode(ErrorCodeEnum):
    INVALID_CREDENTIALS = "invalid_credentials", 401, "Wrong email or password."
    TOO_MANY_ATTEMPTS = ("too_many_attempts", 429,
                         "Too many logins, password resets or sign-ups for now; wait `Retry-After` seconds.")
    EMAIL_TAKEN = "email_taken", 422, "An account with this email already exists."
    INVALID_EMAIL = "invalid_email", 422, "Not a valid email address."
    EMAIL_ALREADY_VERIFIED = "email_already_verified", 409, "Your email address is already verified."
    INVALID_TOKEN = "invalid_token", 422, "A verification or password-reset link that is not valid."
    TOKEN_EXPIRED = "token_expired", 422, "A verification or password-reset link that has expired."
    TOKEN_NOT_FOUND = "token_not_found", 404, "No such API token, or not yours."
    TOO_MANY_TOKENS = "too_many_tokens", 409, "You hold the most live API tokens allowed; revoke one first."
    INVALID_PHONE = "invalid_phone", 422, "Not a valid phone number (for the address's country)."
    ADDRESS_BOOK_FULL = "address_book_full", 409, "The address book holds its maximum; delete one first."
    # Passwords: Django's validators' codes, relayed as they are.
    INVALID_PASSWORD = "invalid_password", 422, "The password breaks a password rule."
    PASSWORD_TOO_SHORT = "password_too_short", 422, "The password is too short."
    PASSWORD_TOO_COMMON = "password_too_common", 422, "The password is too common."
    PASSWORD_ENTIRELY_NUMERIC = "password_entirely_numeric", 422, "The password is only digits."
    PASSWORD_TOO_SIMILAR = "password_too_similar", 422, "The password is too close to your email or name."
