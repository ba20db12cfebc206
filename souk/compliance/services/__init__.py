"""Compliance use cases. One use case = one function = one transaction
(docs/architecture.md, How a request flows)."""

from souk.compliance.services.addresses import (
    address_fix,
    address_problem_from_carrier,
    address_problem_report,
    expire_address_problems,
)
from souk.compliance.services.customs import (
    BulkCancelResult,
    RuleCreated,
    check_checkout_lines,
    customs_rule_cancel_hits,
    customs_rule_create,
    require_staff,
)
from souk.compliance.services.protection import protection_extend
from souk.compliance.services.quality import QualityResult, product_flag_quality
from souk.compliance.services.stock import low_stock_sweep

__all__ = ["BulkCancelResult", "QualityResult", "RuleCreated", "address_fix", "address_problem_from_carrier",
           "address_problem_report", "check_checkout_lines", "customs_rule_cancel_hits", "customs_rule_create",
           "expire_address_problems", "low_stock_sweep", "product_flag_quality", "protection_extend",
           "require_staff"]
