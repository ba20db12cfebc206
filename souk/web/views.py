import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from prometheus_client import CONTENT_TYPE_LATEST

from souk.core.health import readiness
from souk.web.metrics import metrics_text


def home(request: HttpRequest) -> HttpResponse:
    return redirect("catalog:product_list")


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else, so a database outage does not get every
    web process restarted (docs/operations.md, Health)."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database reachable, migrations applied, cache reachable; 503 with the reasons if not."""
    ready, body = readiness()
    return JsonResponse(body, status=200 if ready else 503)


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text; with SOUK_METRICS_TOKEN set it needs `Authorization: Bearer <token>`."""
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return JsonResponse({"code": "metrics_token_required",
                                 "message": "Send Authorization: Bearer <SOUK_METRICS_TOKEN>."}, status=401)
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
