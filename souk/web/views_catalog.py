"""Catalog pages: browse, product, store, and the seller's own products and store.

Thin: parse the form, call one selector or service, render. Every form works
without JavaScript; errors come back inline next to their field.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_countries import countries

from souk.catalog import selectors, services
from souk.catalog.models import Product, Store
from souk.compliance.conf import setting as compliance_setting
from souk.core.errors import DomainError, NotFound, ValidationFailed
from souk.reputation.selectors import seller_card, store_metrics, store_reviews

PAGE_SIZE = 24
DIMENSION_FIELDS = ("length_mm", "width_mm", "height_mm", "weight_g")


def _field_errors(exc: DomainError) -> dict[str, str]:
    """First message per form field; `specs.3.name` shows on `specs`, `rates.0.cost` on `rates`."""
    out: dict[str, str] = {}
    for err in exc.errors:
        out.setdefault(err.field.split(".")[0], err.message)
    if not out:
        out["form"] = exc.message
    return out


def _page_or_404(**kwargs) -> selectors.ProductPage | None:
    try:
        return selectors.product_list(limit=PAGE_SIZE, **kwargs)
    except ValidationFailed:
        return None


def _next_url(params: dict[str, str], cursor: str | None) -> str | None:
    if not cursor:
        return None
    return "?" + urlencode({**{k: v for k, v in params.items() if v}, "cursor": cursor})


# --- public pages ---------------------------------------------------------------------


def product_list(request: HttpRequest) -> HttpResponse:
    params = {"q": request.GET.get("q", "").strip(), "category": request.GET.get("category", "")}
    page = _page_or_404(query=params["q"], category=params["category"], cursor=request.GET.get("cursor"))
    context = {
        "page": page, "params": params, "categories": selectors.category_list(),
        "next_url": _next_url(params, page.next_cursor if page else None),
    }
    return render(request, "catalog/product_list.html", context, status=200 if page else 400)


def _buyer_country(request: HttpRequest) -> str:
    if request.user.is_authenticated:
        return request.user.addresses.filter(is_default=True).values_list("country", flat=True).first() or ""
    return ""


def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        product = selectors.product_detail(product_id=pk)
    except NotFound:
        raise Http404("No such product.") from None
    country = request.GET.get("country", "").strip().upper() or _buyer_country(request)
    quotes, country_error = [], None
    if country:
        try:
            today = timezone.localdate()
            quotes = [(q, *q.delivery_window(today))
                      for q in selectors.shipping_quotes(store_id=product.store_id, country=country)]
        except ValidationFailed as exc:
            country_error = exc.message

    context = {
        "product": product, "store": product.store, "specs": list(product.specs.all()),
        "seller": seller_card(store_id=product.store_id),
        "options": product.store.active_shipping_options, "quotes": quotes, "country": country,
        "country_name": countries.name(country) if country and not country_error else "",
        "country_error": country_error, "countries": list(countries),
        "has_dimensions": any(getattr(product, f) for f in DIMENSION_FIELDS),
        "max_quantity": min(product.stock, settings.SOUK["LINE_MAX_QUANTITY"]),
        "low_stock": 0 < product.stock <= compliance_setting("LOW_STOCK_THRESHOLD"),
    }
    return render(request, "catalog/product_detail.html", context, status=422 if country_error else 200)


def store_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        store = selectors.store_detail(slug=slug)
    except NotFound:
        raise Http404("No such store.") from None
    page = _page_or_404(store=store.slug, cursor=request.GET.get("cursor"))
    context = {"store": store, "page": page, "next_url": _next_url({}, page.next_cursor if page else None),
               "metrics": store_metrics(store_id=store.pk), "reviews": store_reviews(store_id=store.pk, limit=5)}
    return render(request, "catalog/store_detail.html", context, status=200 if page else 400)


# --- seller pages ----------------------------------------------------------------------


def _own_store(request: HttpRequest) -> Store | None:
    return Store.objects.filter(owner=request.user).first()


@login_required
def seller_store_open(request: HttpRequest) -> HttpResponse:
    if _own_store(request):
        return redirect("catalog:seller_products")
    form = {"name": "", "currency": "USD", "handling_days": settings.SOUK["DEFAULT_HANDLING_DAYS"],
            "ships_from": "", "description": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in form}
        try:
            store = services.store_open(owner=request.user, name=form["name"], currency=form["currency"].strip(),
                                        handling_days=form["handling_days"], ships_from=form["ships_from"],
                                        description=form["description"])
        except DomainError as exc:
            errors = _field_errors(exc)
        else:
            messages.success(request, f"Your store “{store.name}” is open.")
            return redirect("catalog:seller_products")
    return render(request, "catalog/seller_store_open.html",
                  {"form": form, "errors": errors, "countries": list(countries)},
                  status=422 if errors else 200)


@login_required
def seller_store_settings(request: HttpRequest) -> HttpResponse:
    """The store's return address: where buyers send a return agreed in a dispute (docs/disputes.md)."""
    store = _seller_or_redirect(request)
    if isinstance(store, HttpResponse):
        return store
    form = {"return_address": store.return_address}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {"return_address": request.POST.get("return_address", "")}
        try:
            services.store_update(store=store, data=form)
        except DomainError as exc:
            errors = _field_errors(exc)
        else:
            messages.success(request, "Store settings saved.")
            return redirect("catalog:seller_store_settings")
    return render(request, "catalog/seller_store_settings.html", {"store": store, "form": form, "errors": errors},
                  status=422 if errors else 200)


def _seller_or_redirect(request: HttpRequest) -> Store | HttpResponse:
    store = _own_store(request)
    if store is None:
        messages.info(request, "Open a store first.")
        return redirect("catalog:seller_store_open")
    return store


@login_required
def seller_products(request: HttpRequest) -> HttpResponse:
    store = _seller_or_redirect(request)
    if isinstance(store, HttpResponse):
        return store
    return _render_seller_products(request, store, {})


def _render_seller_products(request: HttpRequest, store: Store, stock_errors: dict[int, str],
                            status: int = 200) -> HttpResponse:
    products = selectors.seller_products(store=store)
    return render(request, "catalog/seller_products.html",
                  {"store": store, "products": products, "stock_errors": stock_errors}, status=status)


@login_required
@require_POST
def seller_product_stock(request: HttpRequest, pk: int) -> HttpResponse:
    store = _seller_or_redirect(request)
    if isinstance(store, HttpResponse):
        return store
    try:
        stock = services.stock_set(store=store, product_id=pk, stock=request.POST.get("stock", ""))
    except NotFound:
        raise Http404("No such product.") from None
    except DomainError as exc:
        return _render_seller_products(request, store, {pk: exc.message}, status=422)
    messages.success(request, f"Stock set to {stock}.")
    return redirect("catalog:seller_products")


def _product_form(product: Product | None) -> dict[str, object]:
    if product is None:
        return {"title": "", "description": "", "category": "", "price": "", "stock": "0", "specs": "",
                "is_active": True, **dict.fromkeys(DIMENSION_FIELDS, "")}
    return {
        "title": product.title, "description": product.description,
        "category": product.category.slug if product.category else "",
        "price": str(product.price.amount), "stock": str(product.stock), "is_active": product.is_active,
        "specs": "\n".join(f"{s.name}: {s.value}" for s in product.specs.all()),
        **{f: "" if getattr(product, f) is None else str(getattr(product, f)) for f in DIMENSION_FIELDS},
    }


def _parse_specs(text: str) -> tuple[list[dict[str, str]], str | None]:
    specs: list[dict[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep:
            return specs, f"Line {number}: write each specification as “Name: Value”."
        specs.append({"name": name.strip(), "value": value.strip()})
    return specs, None


@login_required
def seller_product_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    store = _seller_or_redirect(request)
    if isinstance(store, HttpResponse):
        return store
    product = None
    if pk is not None:
        try:
            product = selectors.seller_product(store=store, product_id=pk)
        except NotFound:
            raise Http404("No such product.") from None
    form = _product_form(product)
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in form}
        form["is_active"] = request.POST.get("is_active") == "on"
        specs, specs_error = _parse_specs(str(form["specs"]))
        data = {**{k: v for k, v in form.items() if k != "specs"}, "specs": specs}
        for key in DIMENSION_FIELDS:
            data[key] = data[key] or None
        try:
            if specs_error:
                raise ValidationFailed(specs_error, code="invalid_specs", field="specs")
            if product is None:
                product = services.product_create(store=store, data=data)
            else:
                product = services.product_update(store=store, product_id=product.id, data=data)
        except DomainError as exc:
            errors = _field_errors(exc)
        else:
            messages.success(request, f"Saved “{product.title}”.")
            return redirect("catalog:seller_products")
    return render(request, "catalog/seller_product_form.html",
                  {"store": store, "product": product, "form": form, "errors": errors,
                   "categories": selectors.category_list()},
                  status=422 if errors else 200)
