"""The money movements Souk makes, each one balanced entry (see `souk.ledger.chart`).

Services call these inside the transaction of the state change that causes them.
`funding` is where the buyer's money came from and where a refund goes back to:
`gateway_clearing` for card and e-wallet, `buyer_balance` for Souk balance.
"""

from __future__ import annotations

from moneyed import Money

from souk.ledger.chart import FUNDING_ACCOUNTS, Account, EntryKind
from souk.ledger.models import JournalEntry
from souk.ledger.posting import credit, debit, ledger_post

__all__ = ["post_balance_topup", "post_capture", "post_refund_fail", "post_refund_settle", "post_refund_start",
           "post_release", "refund_settle_postings", "refund_start_postings"]


def _funding(funding: str) -> Account:
    account = Account(funding)
    if account not in FUNDING_ACCOUNTS:
        raise ValueError(f"{funding!r} is not a funding account")
    return account


def post_capture(*, order_id: int, store_id: int | None, amount: Money, funding: str = Account.GATEWAY_CLEARING,
                 memo: str = "") -> JournalEntry:
    """The buyer's payment is captured: it goes into escrow for the order."""
    return ledger_post(kind=EntryKind.CAPTURE, order_id=order_id, store_id=store_id, memo=memo,
                       postings=[debit(_funding(funding), amount), credit(Account.ESCROW, amount)])


def post_release(*, order_id: int, store_id: int | None, amount: Money, commission: Money,
                 memo: str = "") -> JournalEntry:
    """The order completed: escrow goes to the seller, less the platform's commission."""
    if commission.amount < 0 or commission > amount:
        raise ValueError("commission must be between zero and the released amount")
    postings = [debit(Account.ESCROW, amount)]
    if amount - commission:
        postings.append(credit(Account.SELLER_PAYABLE, amount - commission))
    if commission.amount:
        postings.append(credit(Account.COMMISSION_REVENUE, commission))
    return ledger_post(kind=EntryKind.RELEASE, order_id=order_id, store_id=store_id, memo=memo, postings=postings)


def refund_start_postings(amount: Money) -> list:
    """The `refund_start` entry's lines: escrow debited, refunds in flight credited."""
    return [debit(Account.ESCROW, amount), credit(Account.REFUNDS_IN_FLIGHT, amount)]


def post_refund_start(*, order_id: int, store_id: int | None, refund_id: int | None, amount: Money,
                      memo: str = "") -> JournalEntry:
    """A refund is promised: the money leaves escrow and is in flight to the buyer."""
    return ledger_post(kind=EntryKind.REFUND_START, order_id=order_id, store_id=store_id, refund_id=refund_id,
                       memo=memo, postings=refund_start_postings(amount))


def post_refund_settle(*, order_id: int, store_id: int | None, refund_id: int | None, amount: Money,
                       funding: str = Account.GATEWAY_CLEARING, memo: str = "") -> JournalEntry:
    """The gateway confirmed the refund (or it went to the buyer's Souk balance)."""
    return ledger_post(kind=EntryKind.REFUND_SETTLE, order_id=order_id, store_id=store_id, refund_id=refund_id,
                       memo=memo, postings=refund_settle_postings(amount, funding))


def refund_settle_postings(amount: Money, funding: str = Account.GATEWAY_CLEARING) -> list:
    """The `refund_settle` entry's lines: refunds in flight debited, the funding account credited."""
    return [debit(Account.REFUNDS_IN_FLIGHT, amount), credit(_funding(funding), amount)]


def post_refund_fail(*, order_id: int, store_id: int | None, refund_id: int | None, amount: Money,
                     memo: str = "") -> JournalEntry:
    """A refund failed for good or was cancelled: the money goes back into escrow."""
    return ledger_post(kind=EntryKind.REFUND_FAIL, order_id=order_id, store_id=store_id, refund_id=refund_id,
                       memo=memo, postings=[debit(Account.REFUNDS_IN_FLIGHT, amount), credit(Account.ESCROW, amount)])


def post_balance_topup(*, amount: Money, memo: str = "") -> JournalEntry:
    """Money paid in at the gateway becomes Souk balance."""
    return ledger_post(kind=EntryKind.BALANCE_TOPUP, memo=memo,
                       postings=[debit(Account.GATEWAY_CLEARING, amount), credit(Account.BUYER_BALANCE, amount)])
