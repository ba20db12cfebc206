"""Two API schemas with the same class name overwrite each other in /api/openapi.json (Ninja keys
components by name), silently documenting one endpoint's answer with another's shape."""

from collections import defaultdict

from ninja import Schema

from souk.api import api


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_no_two_schema_classes_share_a_name_in_the_openapi_components():
    components = set(api.get_openapi_schema()["components"]["schemas"])
    by_name = defaultdict(set)
    for cls in _all_subclasses(Schema):
        if cls.__module__.startswith("souk.") and cls.__name__ in components:
            by_name[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    clashes = {name: sorted(paths) for name, paths in by_name.items() if len(paths) > 1}
    assert not clashes, f"rename one of each (or share one in souk/core/schemas.py): {clashes}"
