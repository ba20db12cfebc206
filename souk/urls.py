from django.contrib import admin
from django.urls import include, path

from souk.api import api

admin.site.site_header = "Souk administration"
admin.site.site_title = "Souk admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("accounts/", include("souk.accounts.urls")),
    path("", include("souk.web.urls_catalog")),
    path("orders/", include("souk.web.urls_orders")),
    path("", include("souk.web.urls")),
    path("", include("souk.web.urls_disputes")),
]
