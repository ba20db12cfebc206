"""Docs are part of the feature: the API reference lists exactly the endpoints the API serves."""

from django.core.management import call_command


def test_the_endpoint_table_in_docs_api_md_is_up_to_date():
    call_command("apidoc", "--check")  # exits non-zero (fails the test) when it is stale: run `souk apidoc`
