"""Request guards that hold for the whole API, so no endpoint can forget them."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

NUL_MARKERS = (b"\x00", b"\\u0000", b"%00")


class RefuseNulCharactersMiddleware:
    """PostgreSQL text cannot hold NUL, and no honest client sends it: a 422, never a 500.

    Django's form fields already refuse NUL; this covers JSON bodies, query
    strings and paths of /api/ requests, wherever the NUL is nested.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.path_info.startswith("/api/") and self._has_nul(request):
            return JsonResponse({"code": "null_characters_not_allowed",
                                 "message": "Text cannot contain NUL (\\x00) characters."}, status=422)
        return self.get_response(request)

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        if "\x00" in request.path_info:
            return True
        query = request.META.get("QUERY_STRING", "").encode()
        if any(m in query for m in (b"%00", b"\x00")):
            return True
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            body = request.body
            return any(m in body for m in NUL_MARKERS[:2])
        return False
