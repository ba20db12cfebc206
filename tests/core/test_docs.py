"""Docs are part of the feature: the API reference lists exactly the endpoints the API serves."""

from django.core.management import call_command


def test_the_endpoint_table_in_docs_api_md_is_up_to_date():
    call_command("apidoc", "--check")  # exits non-zero (fails the test) when it is stale: run `souk apidoc`


def test_the_layers_in_docs_architecture_md_are_the_import_contract():
    """docs/architecture.md draws the import-linter contract of pyproject.toml, layer for layer."""
    import re
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    contract = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contract if c["type"] == "layers")["layers"]
    doc = (root / "docs" / "architecture.md").read_text()
    drawn = re.search(r"<!-- layers:begin -->\s*```\n(.*?)```\s*<!-- layers:end -->", doc, re.S).group(1)
    assert drawn.strip().splitlines() == layers


def test_every_souk_app_is_in_the_import_contract():
    """A new app cannot slip past the boundaries: each `souk.<app>` package is a layer of the contract."""
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    contract = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layered = {name.strip() for layer in contract[0]["layers"] for name in layer.split("|")}
    apps = {f"souk.{p.name}" for p in (root / "souk").iterdir() if (p / "__init__.py").exists()}
    assert apps <= layered, sorted(apps - layered)
