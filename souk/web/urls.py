from django.urls import path

from souk.web import views, views_cancel, views_compliance, views_messages, views_seller

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("seller/", views_seller.dashboard, name="seller_dashboard"),
    path("seller/balance/", views_seller.balance, name="seller_balance"),
    path("messages/", views_seller.conversations, name="messages"),
    path("notifications/", views_messages.notifications, name="notifications"),
    path("notifications/<int:notification_id>/open/", views_messages.notification_open, name="notification_open"),
    path("staff/cancel/", views_cancel.staff_cancel, name="staff_cancel"),
    path("staff/customs/", views_compliance.staff_customs, name="staff_customs"),
    path("staff/customs/<int:rule_id>/cancel/", views_compliance.staff_customs_cancel, name="staff_customs_cancel"),
    path("staff/quality/", views_compliance.staff_quality, name="staff_quality"),
]
