"""The chart of accounts and the entry kinds: pure data, no ORM.

Sign convention (one for the whole ledger): a line's `amount_minor` is signed,
**debit positive, credit negative**. Every entry's lines sum to zero per currency.

Normal balances: asset accounts carry a debit (positive) balance; liability and
revenue accounts carry a credit (negative) balance, so "how much is held in
escrow" is the negated sum of escrow lines.

| code                 | kind      | what it is                                                       |
| -------------------- | --------- | ---------------------------------------------------------------- |
| gateway_clearing     | asset     | money sitting at the payment processor on our behalf             |
| buyer_balance        | liability | Souk balance we owe buyers (funds balance payments and refunds)   |
| escrow               | liability | captured buyer money held until the order completes or refunds   |
| seller_payable       | liability | money we owe sellers after release, commission deducted          |
| commission_revenue   | revenue   | the platform's commission on released orders                     |
| refunds_in_flight    | liability | refunds started but not yet confirmed by the gateway             |
"""

from __future__ import annotations

from enum import StrEnum


class AccountKind(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    REVENUE = "revenue"


class Account(StrEnum):
    GATEWAY_CLEARING = "gateway_clearing"
    BUYER_BALANCE = "buyer_balance"
    ESCROW = "escrow"
    SELLER_PAYABLE = "seller_payable"
    COMMISSION_REVENUE = "commission_revenue"
    REFUNDS_IN_FLIGHT = "refunds_in_flight"


CHART: dict[Account, tuple[AccountKind, str]] = {
    Account.GATEWAY_CLEARING: (AccountKind.ASSET, "Gateway clearing"),
    Account.BUYER_BALANCE: (AccountKind.LIABILITY, "Buyer balances"),
    Account.ESCROW: (AccountKind.LIABILITY, "Escrow"),
    Account.SELLER_PAYABLE: (AccountKind.LIABILITY, "Seller payable"),
    Account.COMMISSION_REVENUE: (AccountKind.REVENUE, "Commission revenue"),
    Account.REFUNDS_IN_FLIGHT: (AccountKind.LIABILITY, "Refunds in flight"),
}

# Where a buyer's money comes from when an order is captured (the funding side).
FUNDING_ACCOUNTS = (Account.GATEWAY_CLEARING, Account.BUYER_BALANCE)


class EntryKind(StrEnum):
    CAPTURE = "capture"              # Dr gateway_clearing|buyer_balance, Cr escrow
    RELEASE = "release"              # Dr escrow, Cr seller_payable + commission_revenue
    REFUND_START = "refund_start"    # Dr escrow, Cr refunds_in_flight
    REFUND_SETTLE = "refund_settle"  # Dr refunds_in_flight, Cr gateway_clearing|buyer_balance
    REFUND_FAIL = "refund_fail"      # Dr refunds_in_flight, Cr escrow (money back in escrow)
    BALANCE_TOPUP = "balance_topup"  # Dr gateway_clearing, Cr buyer_balance
