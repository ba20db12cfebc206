"""Evidence photos: type checked by the file's first bytes (JPEG, PNG, GIF, WebP), size checked,
stored through Django's storage API (`default_storage`: local files under MEDIA_ROOT by default)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from souk.core.errors import ValidationFailed
from souk.disputes import notify
from souk.disputes.conf import setting
from souk.disputes.models import Evidence
from souk.disputes.policy import Act
from souk.disputes.services.core import other, record, save, set_due, step

__all__ = ["dispute_add_evidence", "evidence_check", "image_type"]

SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)


def image_type(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an image by its magic bytes, or None."""
    for magic, ctype, ext in SIGNATURES:
        if head.startswith(magic):
            return ctype, ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    return None


def evidence_check(content: bytes, *, field: str = "file") -> tuple[str, str]:
    """(content type, extension) of an acceptable photo; ValidationFailed on `field` when it is too
    large or not an image. A page checks every photo of a form with it before anything is written."""
    limit = int(setting("DISPUTE_EVIDENCE_MAX_BYTES"))
    if len(content) > limit:
        raise ValidationFailed(
            f"The photo is too large: at most {limit // (1024 * 1024)} MB.",
            code="evidence_too_large",
            field=field,
        )
    kind = image_type(content[:16])
    if kind is None:
        raise ValidationFailed(
            "Only JPEG, PNG, GIF or WebP photos are accepted.", code="evidence_not_an_image", field=field
        )
    return kind


def dispute_add_evidence(
    *, user, party: str, dispute_id: int, content: bytes, note: str = "", now: datetime | None = None
) -> Evidence:
    """A party adds a photo. Answers staff's request for evidence when it came from the party asked."""
    now = now or timezone.now()
    kind = evidence_check(content)
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationFailed("The note is too long: at most 500 characters.", code="too_long", field="note")
    with step(dispute_id=dispute_id, user=user, party=party, act=Act.ADD_EVIDENCE, now=now) as (
        order,
        dispute,
        tasks,
    ):
        if dispute.evidence.count() >= int(setting("DISPUTE_EVIDENCE_MAX_FILES")):
            raise ValidationFailed(
                "This dispute already holds as many photos as allowed.",
                code="too_much_evidence",
                field="file",
            )
        ctype, ext = kind
        name = default_storage.save(f"disputes/{dispute.pk}/{uuid.uuid4().hex}.{ext}", ContentFile(content))
        # A rollback after this point leaves an orphan file, never a row without its file.
        evidence = Evidence.objects.create(
            dispute=dispute,
            party=party,
            uploaded_by=user,
            file=name,
            content_type=ctype,
            size=len(content),
            note=note,
            created_at=now,
        )
        answered = dispute.evidence_from == party
        if answered:
            dispute.evidence_from, dispute.evidence_note = "", ""
            set_due(dispute, None, "")
        save(dispute, now)
        record(
            order,
            dispute,
            kind="dispute_evidence",
            actor=user,
            actor_role=party,
            now=now,
            message=f"The {party} added a photo.",
            data={"action": "added", "party": party, "evidence_id": evidence.pk, "answers_request": answered},
        )
        notify.tell_parties(
            order=order,
            dispute=dispute,
            kind="dispute_evidence_added",
            to=other(order, party),
            actor=user,
            tasks=tasks,
            message=False,
            title=f"Order {order.number}: new evidence",
            body=f"The {party} added a photo to the dispute on order {order.number}.",
            data={"evidence_id": evidence.pk},
        )
    return evidence
