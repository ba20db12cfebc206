"""`souk demo`: loads a small, realistic marketplace to click through. Safe to run twice."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from souk.accounts.models import Address
from souk.catalog.models import Category, Product, ProductSpec, ShippingOption, ShippingRate, Store

PASSWORD = "souk-demo-pass"
LOGINS = [
    ("buyer", "buyer@souk.example"),
    ("seller", "seller@souk.example"),
    ("seller", "garden@souk.example"),
    ("staff", "admin@souk.example"),
]

PRODUCTS = {
    "gadget-bazaar": [
        ("Wireless Earbuds Pro", "electronics", 2999, 40, (60, 50, 30, 80),
         [("Bluetooth", "5.3"), ("Battery life", "30 h with case"), ("Water resistance", "IPX5")]),
        ("USB-C Fast Charger 65W", "electronics", 1899, 120, (55, 55, 30, 120),
         [("Output", "65 W"), ("Ports", "2 × USB-C, 1 × USB-A"), ("Plug", "EU / US / UK")]),
        ("Power Bank 20000 mAh", "batteries", 3499, 3, (150, 70, 25, 400),
         [("Capacity", "20000 mAh"), ("Cell", "Li-ion"), ("Output", "22.5 W")]),
        ("Mechanical Keyboard 75%", "electronics", 6999, 15, (330, 140, 40, 900),
         [("Switches", "Hot-swappable brown"), ("Layout", "ANSI 75%"), ("Backlight", "RGB")]),
    ],
    "home-garden-co": [
        ("Ceramic Pour-Over Coffee Set", "home", 2450, 25, (200, 150, 150, 750),
         [("Material", "Ceramic"), ("Capacity", "600 ml"), ("Dishwasher safe", "Yes")]),
        ("Stainless Steel Garden Shears", "garden", 1599, 60, (220, 60, 25, 300),
         [("Blade", "SK5 steel"), ("Length", "22 cm")]),
        ("Aroma Diffuser Oil Set (6 × 10 ml)", "liquids", 1299, 0, (120, 80, 40, 200),
         [("Volume", "6 × 10 ml"), ("Scents", "Lavender, Mint, Lemon, Rose, Cedar, Eucalyptus")]),
    ],
}


class Command(BaseCommand):
    help = "Load demo data: a buyer, two sellers with stores and products, staff, and some orders."

    def handle(self, *args, **options):
        User = get_user_model()
        buyer = User.objects.filter(email="buyer@souk.example").first()
        if buyer is not None and buyer.orders.exists():
            self.stdout.write("Demo data is already loaded.")
        else:
            if buyer is None:
                with transaction.atomic():
                    self._load(User)
                buyer = User.objects.get(email="buyer@souk.example")
            # Orders go through the real checkout and payment services; payments call the (sandbox)
            # gateway, which must happen outside any database transaction.
            self._orders(buyer, {s.slug: s for s in Store.objects.filter(slug__in=PRODUCTS)})
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"\nDemo logins (password for all: {PASSWORD}):")
        for role, email in LOGINS:
            self.stdout.write(f"  {role:<7} {email}")
        self.stdout.write("")

    def _load(self, User) -> None:
        users = {}
        for role, email in LOGINS:
            users[email] = User.objects.create_user(
                email=email, password=PASSWORD, display_name=email.split("@")[0].title(),
                phone="+14155550123", is_staff=role == "staff", is_superuser=role == "staff")
        buyer = users["buyer@souk.example"]
        Address.objects.create(user=buyer, label="Home", name="Bea Buyer", country="US", country_area="CA",
                               city="San Francisco", street_address="1 Market St", postal_code="94105",
                               phone="+14155550123", is_default=True)
        Address.objects.create(user=buyer, label="Office", name="Bea Buyer", country="DE", city="Berlin",
                               street_address="Unter den Linden 1", postal_code="10117", phone="+493012345678")
        categories = {slug: Category.objects.create(name=slug.title(), slug=slug)
                      for slug in ("electronics", "batteries", "home", "garden", "liquids")}
        stores = {
            "gadget-bazaar": Store.objects.create(
                owner=users["seller@souk.example"], name="Gadget Bazaar", slug="gadget-bazaar",
                description="Chargers, audio and keyboards, shipped from Shenzhen.", handling_days=3),
            "home-garden-co": Store.objects.create(
                owner=users["garden@souk.example"], name="Home & Garden Co", slug="home-garden-co",
                description="Useful things for the kitchen and the garden.", handling_days=5, ships_from="TR"),
        }
        for slug, store in stores.items():
            standard = ShippingOption.objects.create(store=store, name="Souk Standard Shipping",
                                                     carrier="Souk Post", protection_days=60)
            ShippingRate.objects.create(option=standard, country="", cost_minor=299, min_days=12, max_days=25)
            ShippingRate.objects.create(option=standard, country="US", cost_minor=0, min_days=10, max_days=18)
            express = ShippingOption.objects.create(store=store, name="Express Courier", carrier="DHL",
                                                    protection_days=30)
            ShippingRate.objects.create(option=express, country="", cost_minor=1999, min_days=6, max_days=10)
            ShippingRate.objects.create(option=express, country="US", cost_minor=1499, min_days=4, max_days=7)
            for title, cat, price, stock, (length, width, height, weight), specs in PRODUCTS[slug]:
                product = Product.objects.create(
                    store=store, category=categories[cat], title=title,
                    slug=title.lower().replace(" ", "-").replace("%", "").replace("(", "").replace(")", "")[:200],
                    description=f"{title}. " + "; ".join(f"{n}: {v}" for n, v in specs) + ".",
                    price_minor=price, currency=store.currency, stock=stock, length_mm=length, width_mm=width,
                    height_mm=height, weight_g=weight)
                ProductSpec.objects.bulk_create(
                    [ProductSpec(product=product, name=n, value=v, position=i) for i, (n, v) in enumerate(specs)])

    def _orders(self, buyer, stores) -> None:
        """Orders in different states, placed through the real checkout and paid through the real
        payment service (sandbox gateway): payments, escrow and ledger entries as in production."""
        from moneyed import Money

        from souk.checkout.services import CheckoutLine, checkout
        from souk.fulfilment.services import order_confirm_receipt, order_mark_shipped
        from souk.payments.services import escrow_release, order_pay, refund_create, refund_process

        address = buyer.addresses.get(is_default=True)
        options = {s.id: s.shipping_options.order_by("id").first().id for s in stores.values()}
        products = list(Product.objects.filter(stock__gt=5).order_by("id"))

        def place(product, quantity=1):
            return checkout(buyer=buyer, address_id=address.id, lines=[CheckoutLine(product.id, quantity)],
                            shipping={product.store_id: options[product.store_id]})[0]

        def pay(order, token="tok_visa", method="card"):
            order_pay(buyer=buyer, order_id=order.id, method=method, token=token,
                      idempotency_key=f"demo-{order.number}")

        place(products[0])                                  # awaiting payment
        pay(place(products[1], 2))                          # awaiting shipment
        shipped = place(products[3])
        pay(shipped)
        order_mark_shipped(seller=shipped.store.owner, order_id=shipped.id, carrier="DHL",
                           tracking_number="JD014600006281234567")  # awaiting delivery
        done = place(products[4])
        pay(done)
        order_mark_shipped(seller=done.store.owner, order_id=done.id, carrier="Souk Post",
                           tracking_number="SP123456789CN")
        order_confirm_receipt(buyer=buyer, order_id=done.id)  # completed
        escrow_release(order_id=done.id)                      # escrow paid out to the seller
        pay(place(products[2]), token="tok_review")         # payment being verified (risk review)
        refunded = place(products[1])                       # awaiting shipment, partly refunded to the balance
        pay(refunded, token="tok_balance", method="balance")
        refund = refund_create(order_id=refunded.id, amount=Money("5.00", refunded.currency),
                               reason="price_adjustment", actor=refunded.store.owner, actor_role="seller",
                               idempotency_key=f"demo-refund-{refunded.number}")
        refund_process(refund_id=refund.id)                 # Souk balance refunds settle at once
