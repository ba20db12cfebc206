"""`souk verify_payment <order number> --approve|--reject`: staff decide a payment held for risk review."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from souk.core.errors import DomainError
from souk.payments.selectors import order_id_for
from souk.payments.services import payment_verify


class Command(BaseCommand):
    help = "Approve (capture) or reject (void + cancel) a payment held in payment verification."

    def add_arguments(self, parser):
        parser.add_argument("number", help="the order number")
        decision = parser.add_mutually_exclusive_group(required=True)
        decision.add_argument("--approve", action="store_true")
        decision.add_argument("--reject", action="store_true")

    def handle(self, *args, number: str, approve: bool, reject: bool, **options):
        try:
            order = payment_verify(order_id=order_id_for(number=number.replace(" ", "")), approve=approve,
                                   actor=None, actor_role="staff")
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc}") from exc
        self.stdout.write(f"order {order.number}: {order.status}")
