"""Store photos and scans content-addressed; make thumbnails."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from flask_babel import gettext as _

from sync.records import CONTROL

from ..errors import Locked, NotFound, ValidationFailed
from ..extensions import db
from ..models_base import get_record
from ..rules import max_length
from ..text import nfc
from .models import Attachment

CHUNK = 64 * 1024
THUMB_SIZE = (320, 320)

# The first bytes decide the type: a browser's Content-Type is not trusted.
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)


def sniff_type(head: bytes) -> str | None:
    """Return the MIME type the file's first bytes show, or None."""
    for magic, mime in SIGNATURES:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def blob_path(data_dir: Path, sha256: str) -> Path:
    """Return where the file with this SHA-256 lives under the data folder."""
    return data_dir / "attachments" / sha256[:2] / sha256


def store_blob(data_dir: Path, stream: BinaryIO, max_bytes: int) -> tuple[str, int, str]:
    """Copy `stream` into the store; return (sha256, size, mime type).

    Written to a temporary file and renamed, so a cut-off upload never
    leaves a half file under a valid hash.
    """
    store = data_dir / "attachments"
    store.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    fd, tmp_name = tempfile.mkstemp(dir=store, suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise ValidationFailed(
                        _("Tệp quá lớn: tối đa %(mb)d MB.", mb=max_bytes // (1024 * 1024)),
                        {"file": _("Tệp quá lớn.")})
                if len(head) < 16:
                    head += chunk[:16]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationFailed(_("Tệp rỗng."), {"file": _("Tệp rỗng.")})
        mime = sniff_type(head)
        if mime is None:
            raise ValidationFailed(_("Chỉ nhận ảnh JPEG, PNG, WebP hoặc tệp PDF."),
                                   {"file": _("Loại tệp không được hỗ trợ.")})
        sha = digest.hexdigest()
        final = blob_path(data_dir, sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            tmp.unlink()
        else:
            os.replace(tmp, final)
        return sha, size, mime
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def attach(data_dir: Path, stream: BinaryIO, filename: str | None, max_bytes: int, *,
           forum=None, opinion=None, attachment_id=None) -> Attachment:
    """Store a file and attach it to a forum or an opinion (not both)."""
    if (forum is None) == (opinion is None):
        raise ValidationFailed(_("Tệp phải gắn với một hội nghị hoặc một ý kiến."))
    if attachment_id is not None:
        existing = db.session.get(Attachment, attachment_id)
        if existing is not None:
            return existing
    sha, size, mime = store_blob(data_dir, stream, max_bytes)
    # A file's name is the user's machine's, not typed: cut to the wire's limit and
    # stripped of control characters rather than refused.
    name = (CONTROL.sub("", nfc(Path(filename or "").name) or "") or sha[:12])[
        :max_length("attachment", "filename")]
    attachment = Attachment(sha256=sha, size=size, mime_type=mime, filename=name,
                            forum_id=forum.id if forum else None,
                            opinion_id=opinion.id if opinion else None)
    if attachment_id is not None:
        attachment.id = attachment_id
    db.session.add(attachment)
    db.session.flush()
    return attachment


def get_attachment(attachment_id) -> Attachment:
    """Return the attachment or raise NotFound."""
    return get_record(Attachment, attachment_id, _("Không tìm thấy tệp đính kèm."))


def stored_file(data_dir: Path, attachment: Attachment) -> Path:
    """Return the file behind an attachment, or raise NotFound if it is gone."""
    path = blob_path(data_dir, attachment.sha256)
    if not path.exists():
        raise NotFound(_("Tệp không còn trên máy này."))
    return path


# What Pillow calls each image type we accept.
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def thumbnail(data_dir: Path, attachment: Attachment) -> Path | None:
    """Return a small JPEG of an image attachment, made once and kept.

    Made only when Pillow decodes the file as the type it claims, so a kept
    thumbnail is also the record that the image was verified (see
    `is_verified_image`).
    """
    expected = PILLOW_FORMATS.get(attachment.mime_type)
    if expected is None:
        return None
    thumb = data_dir / "thumbnails" / f"{attachment.sha256}.jpg"
    if thumb.exists():
        return thumb
    from PIL import Image, ImageOps

    thumb.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed into place: a half-written thumbnail must not count as
    # verified, and two requests for the same photo must not write into one file.
    fd, part_name = tempfile.mkstemp(dir=thumb.parent, suffix=".part")
    os.close(fd)
    part = Path(part_name)
    try:
        with Image.open(blob_path(data_dir, attachment.sha256)) as image:
            if image.format != expected:
                return None
            image = ImageOps.exif_transpose(image)
            image.thumbnail(THUMB_SIZE)
            image.convert("RGB").save(part, "JPEG", quality=80)
        os.replace(part, thumb)
    except (OSError, ValueError, Image.DecompressionBombError):
        # Not an image Pillow can decode (or one too big to): no thumbnail, not verified.
        return None
    finally:
        part.unlink(missing_ok=True)
    return thumb


def is_verified_image(data_dir: Path, attachment: Attachment) -> bool:
    """Tell whether the file is an image Pillow decoded as the type it claims.

    Only such a file is shown in the browser; anything else (a PDF, which can
    carry JavaScript, or a file that merely starts like an image) is sent as
    a download. With `nosniff` a verified image is always drawn as an image,
    even if bytes follow it.
    """
    return thumbnail(data_dir, attachment) is not None


def attachments_of(forum=None, opinion=None) -> list[Attachment]:
    """Return the attachments of a forum or an opinion, oldest first."""
    query = db.select(Attachment).order_by(Attachment.created_at)
    if forum is not None:
        query = query.where(Attachment.forum_id == forum.id)
    else:
        query = query.where(Attachment.opinion_id == opinion.id)
    return list(db.session.execute(query).scalars())


def remove_attachment(attachment: Attachment) -> None:
    """Detach a file from a draft; the files of finalised minutes are kept.

    The photo of the signed minutes is evidence: once the minutes are
    finalised nothing attached to them can be removed. The blob stays on
    disk in any case (another record may point at the same content).
    """
    from ..forums.models import Forum
    from ..opinions.models import Opinion

    forum = (db.session.get(Forum, attachment.forum_id) if attachment.forum_id
             else getattr(db.session.get(Opinion, attachment.opinion_id), "forum", None))
    if forum is not None and forum.is_finalised:
        raise Locked(_("Biên bản đã chốt: không gỡ được tệp đính kèm. Nếu tải nhầm, hãy "
                       "ghi chú trong đính chính."))
    db.session.delete(attachment)
    db.session.flush()
