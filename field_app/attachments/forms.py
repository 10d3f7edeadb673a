"""Attachment upload form."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired

from ..forms import Form


class AttachmentForm(Form):
    file = FileField(_l("Ảnh hoặc bản scan (JPEG, PNG, WebP, PDF)"), validators=[FileRequired()])
