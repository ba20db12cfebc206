"""The pure customs check: which line breaks which rule, and what the buyer reads."""

from __future__ import annotations

from souk.compliance.policy import CustomsLine, RuleSnapshot, customs_violations

BATTERIES = RuleSnapshot(id=1, country="AU", kind="prohibited_category", category_slug="batteries",
                         category_name="Batteries")
THREE_EACH = RuleSnapshot(id=2, country="AU", kind="identical_item_limit", max_quantity=3)
UP_TO_100_USD = RuleSnapshot(id=3, country="AU", kind="declared_value_limit", limit_minor=10000, currency="USD")


def line(product_id=1, category="", qty=1, price=1000, currency="USD", store=1, ancestors=()):
    return CustomsLine(product_id=product_id, category_slug=category, quantity=qty, unit_price_minor=price,
                       currency=currency, store_id=store, category_ancestors=ancestors)


def test_a_prohibited_category_is_refused_naming_the_rule_and_the_country():
    [v] = customs_violations(country="AU", lines=[line(category="toys"), line(category="batteries")],
                             rules=[BATTERIES])
    assert (v.line_index, v.rule_id, v.code) == (1, 1, "customs_restriction")
    assert v.message == "Batteries cannot be shipped to Australia (customs rule)."


def test_a_sub_category_of_a_prohibited_category_is_refused_too():
    [v] = customs_violations(country="AU", lines=[line(category="lithium-cells", ancestors=("batteries",))],
                             rules=[BATTERIES])
    assert v.rule_id == 1


def test_rules_of_another_country_do_not_apply():
    assert customs_violations(country="NZ", lines=[line(category="batteries", qty=9)],
                              rules=[BATTERIES, THREE_EACH]) == []


def test_identical_item_limit_allows_the_limit_and_refuses_one_more():
    assert customs_violations(country="AU", lines=[line(qty=3)], rules=[THREE_EACH]) == []
    [v] = customs_violations(country="AU", lines=[line(qty=3), line(product_id=2, qty=4)], rules=[THREE_EACH])
    assert v.line_index == 1
    assert "at most 3 identical items" in v.message and "Australia" in v.message


def test_declared_value_limit_counts_the_whole_parcel_of_one_store():
    # Two lines of one store: $60 + $40 = $100 is the limit exactly; one cent more is refused on both lines.
    assert customs_violations(country="AU", lines=[line(price=6000), line(product_id=2, price=4000)],
                              rules=[UP_TO_100_USD]) == []
    found = customs_violations(country="AU", lines=[line(price=6000), line(product_id=2, price=4001)],
                               rules=[UP_TO_100_USD])
    assert [v.line_index for v in found] == [0, 1]
    assert "up to $100.00" in found[0].message


def test_declared_value_limit_is_per_parcel_and_per_currency():
    # Different stores ship separate parcels; a EUR line is not compared with a USD limit.
    assert customs_violations(country="AU", lines=[line(price=6000, store=1), line(price=6000, store=2),
                                                   line(price=50000, currency="EUR")],
                              rules=[UP_TO_100_USD]) == []


def test_country_code_case_does_not_matter():
    assert len(customs_violations(country="au", lines=[line(category="batteries")], rules=[BATTERIES])) == 1
