from django.urls import path, re_path

from souk.web import views_cancel, views_compliance, views_disputes, views_messages
from souk.web import views_orders as views

app_name = "orders"
NUMBER = r"(?P<number>[1-9][0-9]{15})"
urlpatterns = [
    path("", views.my_orders, name="my_orders"),
    path("cart/", views.cart, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/<int:product_id>/update/", views.cart_update, name="cart_update"),
    path("cart/<int:product_id>/remove/", views.cart_remove, name="cart_remove"),
    path("checkout/", views.checkout, name="checkout"),
    path("seller/", views.seller_orders, name="seller_orders"),
    re_path(rf"^seller/{NUMBER}/$", views.seller_order_detail, name="seller_order_detail"),
    re_path(rf"^seller/{NUMBER}/answer/$", views_cancel.seller_answer, name="seller_answer"),
    re_path(rf"^seller/{NUMBER}/cancel/$", views_cancel.seller_cancel, name="seller_cancel"),
    re_path(rf"^seller/{NUMBER}/address-problem/$", views_compliance.seller_address_problem,
            name="seller_address_problem"),
    re_path(rf"^seller/{NUMBER}/messages/$", views_messages.seller_message_send, name="seller_message_send"),
    re_path(rf"^{NUMBER}/$", views.order_detail, name="order_detail"),
    re_path(rf"^{NUMBER}/pay/$", views.pay, name="pay"),
    re_path(rf"^{NUMBER}/cancel/$", views_cancel.order_cancel, name="cancel"),
    re_path(rf"^{NUMBER}/cancel/withdraw/$", views_cancel.withdraw_request, name="withdraw_request"),
    re_path(rf"^{NUMBER}/messages/$", views_messages.buyer_message_send, name="message_send"),
    re_path(rf"^{NUMBER}/confirm-receipt/$", views.confirm_receipt, name="confirm_receipt"),
    re_path(rf"^{NUMBER}/review/$", views.review, name="review"),
    re_path(rf"^{NUMBER}/address/$", views_compliance.order_address_fix, name="address_fix"),
    re_path(rf"^{NUMBER}/dispute/$", views_disputes.dispute_open, name="dispute_open"),
    re_path(rf"^{NUMBER}/protection/$", views_compliance.order_protection_extend, name="protection_extend"),
]
