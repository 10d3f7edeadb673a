"""Set-up and village forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Optional

from ..forms import Form
from ..labels import VILLAGE_KIND_LABELS, choices
from ..rules import length_attrs


class CommuneForm(Form):
    commune = HiddenField(validators=[InputRequired()])


class VillageForm(Form):
    name = StringField(_l("Tên bản/thôn"), validators=[InputRequired()],
                       render_kw=length_attrs("village", "name"))
    kind = SelectField(_l("Loại"), choices=[])
    households = IntegerField(_l("Số hộ"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices(VILLAGE_KIND_LABELS)


class VillageCsvForm(Form):
    file = FileField(_l("Tệp CSV"), validators=[FileRequired()])
