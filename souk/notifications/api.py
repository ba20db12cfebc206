"""Notifications API: the user's in-app notifications; staff manage webhook endpoints. Thin."""

from __future__ import annotations

from ninja import Field, Path, Query, Router, Schema, Status

from souk.accounts.api_auth import STAFF_AUTH
from souk.core.schemas import ID_CURSOR_PATTERN, MAX_ID, UnreadCountOut, stated
from souk.notifications import schemas as s
from souk.notifications import selectors, services

router = Router(tags=["notifications"])


class NotificationListParams(Schema):
    cursor: str | None = Field(None, json_schema_extra=stated(pattern=ID_CURSOR_PATTERN),
                               description="`next_cursor` of the previous page (422 `invalid_cursor` otherwise)")
    limit: int = Field(20, ge=1, le=selectors.MAX_LIMIT)
    unread: bool = False


class DeliveryParams(Schema):
    cursor: str | None = Field(None, json_schema_extra=stated(pattern=ID_CURSOR_PATTERN),
                               description="`next_cursor` of the previous page (422 `invalid_cursor` otherwise)")
    limit: int = Field(50, ge=1, le=selectors.MAX_LIMIT)
    state: str | None = Field(None, max_length=16, description="pending, delivered or failed")


@router.get("/notifications", response=s.NotificationPageOut, summary="Your notifications, newest first")
def list_notifications(request, params: Query[NotificationListParams]):
    page = selectors.notifications_for_user(user=request.user, cursor=params.cursor, limit=params.limit,
                                            unread_only=params.unread)
    return {"items": [s.notification_out(n) for n in page.items], "next_cursor": page.next_cursor}


@router.get("/notifications/unread-count", response=UnreadCountOut, summary="How many notifications are unread")
def notifications_unread_count(request):
    return {"unread": selectors.unread_notification_count(user=request.user)}


@router.post("/notifications/read-all", response=s.ReadAllOut, summary="Mark all your notifications read")
def read_all(request):
    return {"marked": services.notifications_mark_all_read(user=request.user)}


@router.post("/notifications/{notification_id}/read", response=s.NotificationOut,
             summary="Mark one notification read")
def read_one(request, notification_id: int = Path(..., ge=1, le=MAX_ID)):
    notification = services.notification_mark_read(user=request.user, notification_id=notification_id)
    return s.notification_out(notification)


# --- staff: webhooks (STAFF_AUTH: 403 for non-staff before the request is read) --------------

@router.get("/staff/webhooks", response=list[s.WebhookOut], auth=STAFF_AUTH,
            summary="Webhook endpoints (staff)")
def list_webhooks(request):
    return [s.webhook_out(e) for e in selectors.webhook_endpoints(user=request.user)]


@router.post("/staff/webhooks", response={201: s.WebhookCreatedOut}, auth=STAFF_AUTH,
             summary="Register a webhook endpoint (staff); the signing secret is shown once")
def create_webhook(request, payload: s.WebhookIn):
    endpoint = services.webhook_endpoint_create(actor=request.user, url=payload.url, kinds=payload.kinds,
                                                description=payload.description)
    return Status(201, s.webhook_out(endpoint, with_secret=True))


@router.delete("/staff/webhooks/{endpoint_id}", response={204: None}, auth=STAFF_AUTH,
               summary="Deactivate a webhook endpoint (staff); its delivery log stays")
def delete_webhook(request, endpoint_id: int = Path(..., ge=1, le=MAX_ID)):
    services.webhook_endpoint_delete(actor=request.user, endpoint_id=endpoint_id)
    return Status(204, None)


@router.get("/staff/webhooks/{endpoint_id}/deliveries", response=s.DeliveryPageOut, auth=STAFF_AUTH,
            summary="An endpoint's delivery log, newest first (staff)")
def webhook_deliveries(request, params: Query[DeliveryParams], endpoint_id: int = Path(..., ge=1, le=MAX_ID)):
    page = selectors.webhook_deliveries(user=request.user, endpoint_id=endpoint_id, cursor=params.cursor,
                                        limit=params.limit, state=params.state)
    return {"items": [s.delivery_out(d) for d in page.items], "next_cursor": page.next_cursor}
