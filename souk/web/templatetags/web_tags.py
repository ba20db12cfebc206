"""Shared page helpers: live countdowns and the header's unread badge."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

from souk.web import header

register = template.Library()


@register.simple_tag
def countdown(moment: datetime | None, *name_parts) -> str:
    """A server-rendered deadline (`<time>`), which souk.js turns into a live "3 d 04 h left"."""
    if not moment:
        return ""
    local = timezone.localtime(moment)
    name = "-".join(str(p) for p in name_parts)
    return format_html('<time id="cd-{}" datetime="{}" data-countdown>{}</time>', name, moment.isoformat(),
                       local.strftime("%-d %b %Y, %H:%M %Z"))


@register.inclusion_tag("web/_header_badges.html", takes_context=True)
def header_badges(context) -> dict:
    """Unread messages and notifications for the signed-in user (two COUNT queries)."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return {"show": False}
    counts = header.unread_counts(user)
    return {"show": True, "messages": counts.messages, "notifications": counts.notifications}


@register.filter
def country_label(code: str) -> str:
    """A country's name from its ISO code ("AU" -> "Australia")."""
    from django_countries import countries

    return str(countries.name(str(code or "").upper())) or str(code or "")
