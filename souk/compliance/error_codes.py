"""The error codes of compliance (customs rules, address problems, protection, quality control);
shared ones are in souk/core/error_codes.py. Listed in docs/api.md ("Error codes") by `souk apidoc`."""

from __future__ import annotations

from souk.core.error_codes import ErrorCodeEnum


class ErrorCode(ErrorCodeEnum):
    CUSTOMS_RESTRICTION = ("customs_restriction", 422,
                           "A customs rule of the destination forbids a line; each broken line is named.")
    CUSTOMS_RULE_NOT_FOUND = "customs_rule_not_found", 404, "No such customs rule."
    INVALID_ORDER_IDS = "invalid_order_ids", 422, "order_ids is not a non-empty list of order ids."
    TOO_MANY_ORDERS = "too_many_orders", 422, "More orders than one call may cancel."
    NOT_HIT_BY_RULE = ("not_hit_by_rule", None,
                       "In a bulk cancel's `skipped`: not a paid, unshipped order the rule hits.")
    # Address problems.
    INVALID_REASON = "invalid_reason", 422, "Not one of the address-problem reasons."
    ORDER_NOT_AWAITING_SHIPMENT = ("order_not_awaiting_shipment", 409,
                                   "Only a paid order that has not shipped can have its address flagged.")
    ADDRESS_PROBLEM_OPEN = "address_problem_open", 409, "The order's address is already flagged."
    NO_OPEN_ADDRESS_PROBLEM = "no_open_address_problem", 409, "The order has no address problem to fix."
    ADDRESS_FIX_WINDOW_CLOSED = "address_fix_window_closed", 409, "The time to fix the address is over."
    COUNTRY_CANNOT_CHANGE = "country_cannot_change", 422, "A fixed address keeps its country."
    # Buyer protection.
    INVALID_DAYS = "invalid_days", 422, "Extend protection by a number of days in the allowed range."
    ORDER_NOT_AWAITING_DELIVERY = ("order_not_awaiting_delivery", 409,
                                   "Protection is extended only while the order is on its way.")
    PROTECTION_ALREADY_EXTENDED = ("protection_already_extended", 409,
                                   "Protection on an order is extended once.")
    PROTECTION_ENDED = "protection_ended", 409, "Buyer protection on the order has already ended."
