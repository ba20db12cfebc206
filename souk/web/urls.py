from django.urls import path

from souk.web import views, views_cancel, views_messages, views_seller

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("seller/", views_seller.dashboard, name="seller_dashboard"),
    path("messages/", views_seller.conversations, name="messages"),
    path("notifications/", views_messages.notifications, name="notifications"),
    path("notifications/<int:notification_id>/open/", views_messages.notification_open, name="notification_open"),
    path("staff/cancel/", views_cancel.staff_cancel, name="staff_cancel"),
]
