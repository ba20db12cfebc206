"""Request guards that hold for the whole API, so no endpoint can forget them."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, JsonResponse

MESSAGE = "Text cannot contain NUL (\\x00) characters."
BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class ApiBodyLimitsMiddleware:
    """Bodies over Django's limits answer in the API's error shape (docs/api.md, Conventions: Errors).

    Django raises RequestDataTooBig (over DATA_UPLOAD_MAX_MEMORY_SIZE) or TooManyFieldsSent /
    TooManyFilesSent (over DATA_UPLOAD_MAX_NUMBER_FIELDS / _FILES) when the body is first read, and
    answers them with its HTML 400 page. Here, before anything else reads it, an /api/ request's body
    is read (and a form body parsed) so that these become 413 `request_too_large` and 400
    `too_many_fields`, in JSON. Pages keep Django's answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.path_info.startswith("/api/") and request.method in BODY_METHODS:
            try:
                request.body  # noqa: B018 - reading it is the check (Content-Length against the limit)
                if request.content_type in FORM_TYPES:
                    request.POST  # noqa: B018 - parsing it counts the fields and files
            except RequestDataTooBig as exc:
                _log_refused(exc)
                limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
                return JsonResponse({"code": "request_too_large",
                                     "message": f"The request body is larger than the API accepts ({limit} bytes)."},
                                    status=413)
            except (TooManyFieldsSent, TooManyFilesSent) as exc:
                _log_refused(exc)
                what, limit = (("files", settings.DATA_UPLOAD_MAX_NUMBER_FILES) if isinstance(exc, TooManyFilesSent)
                               else ("fields", settings.DATA_UPLOAD_MAX_NUMBER_FIELDS))
                return JsonResponse({"code": "too_many_fields",
                                     "message": f"The form has more {what} than the API accepts ({limit})."},
                                    status=400)
        return self.get_response(request)


def _log_refused(exc: Exception) -> None:
    # Where Django itself logs a refused body (django.core.handlers.exception), so alerts still see it.
    logging.getLogger(f"django.security.{exc.__class__.__name__}").warning(str(exc))


def _nul_path(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """The path of the first string holding a NUL inside decoded JSON, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = (*path, key) if "\x00" in key else _nul_path(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, (*path, str(index)))
            if found is not None:
                return found
    return None


class RefuseNulCharactersMiddleware:
    """PostgreSQL text cannot hold NUL, and no honest client sends it: a 422 naming the field, never a 500.

    Django's form fields already refuse NUL; this covers JSON bodies, query
    strings and paths of /api/ requests, wherever the NUL is nested.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.path_info.startswith("/api/"):
            field = self._nul_field(request)
            if field is not None:
                return JsonResponse({"code": "null_characters_not_allowed", "message": MESSAGE,
                                     "errors": [{"field": field, "code": "null_characters_not_allowed",
                                                 "message": MESSAGE}]}, status=422)
        return self.get_response(request)

    @staticmethod
    def _nul_field(request: HttpRequest) -> str | None:
        if "\x00" in request.path_info:
            return "path"
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            for key, value in parse_qsl(query, keep_blank_values=True):
                if "\x00" in key or "\x00" in value:
                    return key.replace("\x00", "") or "query"
            return "query"
        if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return None
        if request.content_type == "multipart/form-data":
            # Uploaded files are binary (a PNG holds NUL bytes); only the text fields are stored as text.
            for key, value in request.POST.items():
                if "\x00" in key or "\x00" in value:
                    return key.replace("\x00", "") or "body"
            return None
        body = request.body
        if b"\x00" not in body and b"\\u0000" not in body:
            return None
        try:
            path = _nul_path(json.loads(body))
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python recurses
            return "body"
        # A NUL byte is invalid inside JSON text, so a parsed body only holds `\\u0000` escapes.
        return ".".join(path) if path else None
