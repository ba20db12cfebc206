from django.urls import path

from souk.web import views_catalog as views

app_name = "catalog"
urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("stores/<slug:slug>/", views.store_detail, name="store_detail"),
    path("seller/store/open/", views.seller_store_open, name="seller_store_open"),
    path("seller/store/settings/", views.seller_store_settings, name="seller_store_settings"),
    path("seller/products/", views.seller_products, name="seller_products"),
    path("seller/products/add/", views.seller_product_form, name="seller_product_add"),
    path("seller/products/<int:pk>/edit/", views.seller_product_form, name="seller_product_edit"),
    path("seller/products/<int:pk>/stock/", views.seller_product_stock, name="seller_product_stock"),
]
