"""Dispute use cases (docs/disputes.md). One use case = one function = one transaction."""

from souk.disputes.services.core import DisputeRefused
from souk.disputes.services.evidence import dispute_add_evidence
from souk.disputes.services.steps import (
    dispute_accept,
    dispute_confirm_return,
    dispute_counter,
    dispute_decide,
    dispute_escalate,
    dispute_open,
    dispute_reject,
    dispute_request_evidence,
    dispute_return_arrived,
    dispute_return_tracking,
    dispute_withdraw,
    latest_offers,
    opening_options,
)
from souk.disputes.services.timers import disputes_due, disputes_to_remind

__all__ = [
    "DisputeRefused",
    "dispute_accept",
    "dispute_add_evidence",
    "dispute_confirm_return",
    "dispute_counter",
    "dispute_decide",
    "dispute_escalate",
    "dispute_open",
    "dispute_reject",
    "dispute_request_evidence",
    "dispute_return_arrived",
    "dispute_return_tracking",
    "dispute_withdraw",
    "disputes_due",
    "disputes_to_remind",
    "latest_offers",
    "opening_options",
]
