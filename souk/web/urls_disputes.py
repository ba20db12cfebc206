from django.urls import path

from souk.web import views_disputes as views

app_name = "disputes"
urlpatterns = [
    path("disputes/<int:dispute_id>/", views.buyer_dispute, name="buyer_dispute"),
    path("disputes/<int:dispute_id>/<slug:act>/", views.buyer_act, name="buyer_act"),
    path("disputes/photos/<int:evidence_id>/", views.evidence_file, name="evidence"),
    path("seller/disputes/<int:dispute_id>/", views.seller_dispute, name="seller_dispute"),
    path("seller/disputes/<int:dispute_id>/<slug:act>/", views.seller_act, name="seller_act"),
    path("staff/disputes/", views.staff_disputes, name="staff_disputes"),
    path("staff/disputes/<int:dispute_id>/<slug:act>/", views.staff_act, name="staff_act"),
]
