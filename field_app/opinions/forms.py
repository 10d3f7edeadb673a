"""Opinion forms: quick entry at a forum, intake outside forums, edit/amend."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional

from ..forms import DayField, Form
from ..labels import (
    CHANNEL_LABELS,
    GENDER_LABELS,
    LEVEL_LABELS,
    OPINION_KIND_LABELS,
    SOURCE_ORG_LABELS,
    choices,
)
from ..rules import length_attrs


class OpinionForm(Form):
    # Made by the browser so that a double submit or a replay stores one copy.
    client_id = HiddenField()
    # The office-correctable values as the form showed them (logic.keep_corrections).
    shown = HiddenField()
    kind = SelectField(_l("Loại"), choices=[])
    channel = SelectField(_l("Kênh tiếp nhận"), choices=[])
    source_org = SelectField(_l("Tổ chức chuyển đến"), choices=[], validators=[Optional()])
    village_id = SelectField(_l("Bản/thôn"), choices=[], validators=[Optional()])
    raiser_name = StringField(_l("Người nêu"), validators=[Optional()],
                              render_kw=length_attrs("opinion", "raiser_name"))
    raiser_gender = SelectField(_l("Giới tính"), choices=[], validators=[Optional()])
    raiser_phone = StringField(_l("Điện thoại"), validators=[Optional()],
                               render_kw=length_attrs("opinion", "raiser_phone"))
    anonymous = BooleanField(_l("Giấu tên"))
    on_behalf_households = IntegerField(_l("Thay mặt số hộ"), validators=[Optional()])
    category_code = SelectField(_l("Lĩnh vực"), choices=[])
    content = TextAreaField(_l("Nội dung"), validators=[InputRequired()],
                            render_kw=length_attrs("opinion", "content"))
    level = SelectField(_l("Cấp giải quyết"), choices=[])
    answered_on_spot = BooleanField(_l("Đã trả lời tại chỗ"))
    spot_answer_by = StringField(_l("Người trả lời"), validators=[Optional()],
                                 render_kw=length_attrs("opinion", "spot_answer_by"))
    spot_answer = TextAreaField(_l("Nội dung trả lời"), validators=[Optional()],
                                render_kw=length_attrs("opinion", "spot_answer"))
    needs_follow_up = BooleanField(_l("Cần theo dõi giải quyết"), default=True)
    received_on = DayField(_l("Ngày tiếp nhận"), validators=[Optional()])

    def __init__(self, *args, villages=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices(OPINION_KIND_LABELS)
        self.channel.choices = choices(CHANNEL_LABELS)
        self.source_org.choices = [("", "—")] + choices(SOURCE_ORG_LABELS)
        self.village_id.choices = [("", "—")] + [(str(v.id), v.name) for v in villages]
        self.raiser_gender.choices = [("", "—")] + choices(GENDER_LABELS)
        # Nothing preselected: an untouched box is filed as "Khác" (check_opinion), never
        # as whichever category happens to come first.
        self.category_code.choices = [("", _l("— Chọn lĩnh vực —"))] + [
            (c.code, c.label) for c in categories]
        self.level.choices = choices(LEVEL_LABELS)

    def values(self) -> dict:
        """Return the fields as the dict `check_opinion` takes."""
        data = {name: getattr(self, name).data for name in (
            "kind", "channel", "source_org", "village_id", "raiser_name", "raiser_gender",
            "raiser_phone", "anonymous", "on_behalf_households", "category_code", "content",
            "level", "answered_on_spot", "spot_answer_by", "spot_answer", "needs_follow_up",
            "received_on")}
        for name in ("source_org", "raiser_gender", "village_id"):
            data[name] = data[name] or None
        return data


class AmendOpinionForm(OpinionForm):
    reason = TextAreaField(_l("Lý do đính chính"), validators=[InputRequired()],
                           render_kw=length_attrs("amendment", "reason"))
    author = StringField(_l("Người đính chính"), validators=[InputRequired()],
                         render_kw=length_attrs("amendment", "author"))


class SearchForm(Form):
    class Meta:
        csrf = False  # A GET search changes nothing.

    q = StringField(_l("Tìm"))
    village_id = SelectField(_l("Bản/thôn"), choices=[], validators=[Optional()])
    forum_id = HiddenField()
    kind = SelectField(_l("Loại"), choices=[], validators=[Optional()])
    category_code = SelectField(_l("Lĩnh vực"), choices=[], validators=[Optional()])
    follow_up = SelectField(_l("Theo dõi"), choices=[], validators=[Optional()])
    office = SelectField(_l("Xã xử lý"), choices=[], validators=[Optional()])

    def __init__(self, *args, villages=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _l("Tất cả"))]
        self.village_id.choices = everything + [(str(v.id), v.name) for v in villages]
        self.kind.choices = everything + choices(OPINION_KIND_LABELS)
        self.category_code.choices = everything + [(c.code, c.label) for c in categories]
        self.follow_up.choices = everything + [("yes", _l("Cần theo dõi")),
                                               ("no", _l("Không cần theo dõi"))]
        self.office.choices = everything + [
            ("answered", _l("Xã đã trả lời")), ("overdue", _l("Quá hạn, chưa trả lời")),
            ("new", _l("Trả lời mới ở lần đồng bộ gần nhất"))]


class CategoryForm(Form):
    name = StringField(_l("Lĩnh vực mới"), validators=[InputRequired()])
