"""Catalog API: public browsing (no auth) and the seller's own store (auth, must own a store).

Handlers parse, call one service or selector, and shape the answer; DomainErrors
become HTTP in souk/api.py.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status

from souk.catalog import selectors, services
from souk.catalog.models import Store
from souk.catalog.schemas import (
    TEXT,
    CategoryOut,
    ErrorOut,
    MoneyOut,
    ProductDetailOut,
    ProductIn,
    ProductListItemOut,
    ProductPageOut,
    QuoteOut,
    SellerProductOut,
    SellerShippingOptionOut,
    SellerStoreOut,
    ShippingOptionIn,
    ShippingOptionOut,
    SpecOut,
    StockIn,
    StockOut,
    StoreOpenIn,
    StoreOut,
    StorePatchIn,
    StoreSummaryOut,
    dimensions_of,
)
from souk.core.errors import Forbidden, ValidationFailed
from souk.core.schemas import ID_CURSOR_PATTERN, MAX_ID, country_field

router = Router(tags=["catalog"])

SELLER_ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}


def _seller_store(request: HttpRequest) -> Store:
    store = Store.objects.filter(owner_id=request.auth.pk).first()
    if store is None:
        raise Forbidden("Open a store first: only sellers can do this.", code="not_a_seller")
    return store


# --- public ------------------------------------------------------------------------


class ProductFilters(Schema):
    q: str | None = Field(None, max_length=200, pattern=TEXT, description="words in the title")
    category: str | None = Field(None, max_length=80, pattern=TEXT, description="category slug")
    store: str | None = Field(None, max_length=140, pattern=TEXT, description="store slug")
    cursor: str | None = Field(None, pattern=ID_CURSOR_PATTERN,
                               description="`next_cursor` of the previous page")
    limit: int = Field(24, ge=1, le=selectors.MAX_PAGE_SIZE)


@router.get("/products", auth=None, response={200: ProductPageOut, 422: ErrorOut},
            summary="Browse active products, newest first (keyset pages)")
def list_products(request: HttpRequest, filters: Query[ProductFilters]):
    page = selectors.product_list(query=filters.q, category=filters.category, store=filters.store,
                                  cursor=filters.cursor, limit=filters.limit)
    return {"items": [ProductListItemOut.of(p) for p in page.items], "next_cursor": page.next_cursor}


class ShipToParams(Schema):
    country: str = country_field(None, description="ISO 3166-1 alpha-2: add the shipping quotes there")


@router.get("/products/{product_id}", auth=None, response={200: ProductDetailOut, 404: ErrorOut, 422: ErrorOut},
            summary="A product with specs, dimensions, store and shipping; `country` adds delivery quotes")
def get_product(request: HttpRequest, where: Query[ShipToParams], product_id: int = Path(..., ge=1, le=MAX_ID)):
    country = where.country
    product = selectors.product_detail(product_id=product_id)
    store = product.store
    quotes = None
    if country is not None:
        today = timezone.localdate()
        quotes = [QuoteOut.of(q, today) for q in selectors.shipping_quotes(store_id=store.id, country=country)]
    category = product.category
    return ProductDetailOut(
        id=product.id, title=product.title, description=product.description,
        price=MoneyOut.of(product.price_minor, product.currency), stock=product.stock,
        in_stock=product.stock > 0,
        category=CategoryOut(id=category.id, name=category.name, slug=category.slug) if category else None,
        specs=[SpecOut(name=s.name, value=s.value) for s in product.specs.all()],
        dimensions=dimensions_of(product), store=StoreSummaryOut.of(store),
        shipping_options=[ShippingOptionOut.of(o, store.currency) for o in store.active_shipping_options],
        shipping_quotes=quotes,
    )


@router.get("/stores/{slug}", auth=None, response={200: StoreOut, 404: ErrorOut}, summary="A store's public page")
def get_store(request: HttpRequest, slug: str):
    return selectors.store_detail(slug=slug)


@router.get("/categories", auth=None, response=list[CategoryOut], summary="Every category")
def list_categories(request: HttpRequest):
    cats = selectors.category_list()
    slugs = {c.id: c.slug for c in cats}
    return [CategoryOut(id=c.id, name=c.name, slug=c.slug, parent_slug=slugs.get(c.parent_id)) for c in cats]


# --- seller -------------------------------------------------------------------------


@router.post("/seller/store", response={201: SellerStoreOut, 401: ErrorOut, 409: ErrorOut, 422: ErrorOut},
             summary="Open your store (one per user)")
def open_store(request: HttpRequest, payload: StoreOpenIn):
    store = services.store_open(owner=request.auth, name=payload.name, currency=payload.currency,
                                handling_days=payload.handling_days, ships_from=payload.ships_from,
                                description=payload.description)
    return Status(201, store)


@router.get("/seller/store", response={200: SellerStoreOut, **SELLER_ERRORS}, summary="Your store")
def my_store(request: HttpRequest):
    return _seller_store(request)


@router.patch("/seller/store", response={200: SellerStoreOut, **SELLER_ERRORS},
              summary="Change your store's name, description, handling time or ships-from country")
def patch_store(request: HttpRequest, payload: StorePatchIn):
    return services.store_update(store=_seller_store(request), data=payload.dict(exclude_unset=True))


@router.get("/seller/products", response={200: list[SellerProductOut], **SELLER_ERRORS},
            summary="All your products, active or not")
def my_products(request: HttpRequest):
    products = selectors.seller_products(store=_seller_store(request), with_specs=True)
    return [SellerProductOut.of(p) for p in products]


@router.post("/seller/products", response={201: SellerProductOut, **SELLER_ERRORS}, summary="List a product")
def create_product(request: HttpRequest, payload: ProductIn):
    store = _seller_store(request)
    product = services.product_create(store=store, data=payload.dict())
    return Status(201, SellerProductOut.of(selectors.seller_product(store=store, product_id=product.id)))


@router.put("/seller/products/{product_id}", response={200: SellerProductOut, 404: ErrorOut, **SELLER_ERRORS},
            summary="Replace one of your products (specs are replaced wholesale)")
def update_product(request: HttpRequest, payload: ProductIn, product_id: int = Path(..., ge=1, le=MAX_ID)):
    store = _seller_store(request)
    services.product_update(store=store, product_id=product_id, data=payload.dict())
    return SellerProductOut.of(selectors.seller_product(store=store, product_id=product_id))


@router.post("/seller/products/{product_id}/stock",
             response={200: StockOut, 404: ErrorOut, 409: ErrorOut, **SELLER_ERRORS},
             summary="Set the stock ({stock}) or change it by a delta ({delta}); never below zero")
def change_stock(request: HttpRequest, payload: StockIn, product_id: int = Path(..., ge=1, le=MAX_ID)):
    store = _seller_store(request)
    if (payload.stock is None) == (payload.delta is None):
        raise ValidationFailed("Send either stock or delta.", code="stock_or_delta", field="stock")
    if payload.stock is not None:
        stock = services.stock_set(store=store, product_id=product_id, stock=payload.stock)
    else:
        stock = services.stock_adjust(store=store, product_id=product_id, delta=payload.delta)
    return StockOut(product_id=product_id, stock=stock)


@router.get("/seller/shipping-options", response={200: list[SellerShippingOptionOut], **SELLER_ERRORS},
            summary="Your shipping options with their rates")
def my_shipping_options(request: HttpRequest):
    store = _seller_store(request)
    return [SellerShippingOptionOut.of(o, store.currency)
            for o in selectors.seller_shipping_options(store=store)]


@router.post("/seller/shipping-options", response={201: SellerShippingOptionOut, **SELLER_ERRORS},
             summary="Add a shipping option with per-country rates ('' = rest of world)")
def create_shipping_option(request: HttpRequest, payload: ShippingOptionIn):
    store = _seller_store(request)
    option = services.shipping_option_create(store=store, data=payload.dict())
    return Status(201, SellerShippingOptionOut.of(
        selectors.seller_shipping_option(store=store, option_id=option.id), store.currency))


@router.put("/seller/shipping-options/{option_id}",
            response={200: SellerShippingOptionOut, 404: ErrorOut, **SELLER_ERRORS},
            summary="Replace one of your shipping options and all its rates")
def update_shipping_option(request: HttpRequest, payload: ShippingOptionIn,
                           option_id: int = Path(..., ge=1, le=MAX_ID)):
    store = _seller_store(request)
    services.shipping_option_update(store=store, option_id=option_id, data=payload.dict())
    return SellerShippingOptionOut.of(selectors.seller_shipping_option(store=store, option_id=option_id),
                                      store.currency)
