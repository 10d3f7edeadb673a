"""Forum, decision and amendment forms."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional

from ..forms import Form, MomentField
from ..labels import FORUM_KIND_LABELS, choices
from ..rules import length_attrs


class ForumForm(Form):
    # Made by the browser: a form sent twice (or a draft sent again) makes one forum.
    client_id = HiddenField()
    kind = SelectField(_l("Loại hội nghị"), choices=[])
    village_id = SelectField(_l("Bản/thôn"), choices=[], validators=[InputRequired()])
    title = StringField(_l("Tiêu đề (nếu có)"), validators=[Optional()],
                        render_kw=length_attrs("forum", "title"))
    started_at = MomentField(_l("Bắt đầu"), validators=[InputRequired()])
    ended_at = MomentField(_l("Kết thúc"), validators=[Optional()])
    venue = StringField(_l("Địa điểm"), validators=[Optional()],
                        render_kw=length_attrs("forum", "venue"))
    chair = StringField(_l("Chủ trì"), validators=[Optional()],
                        render_kw=length_attrs("forum", "chair"))
    secretary = StringField(_l("Thư ký"), validators=[Optional()],
                            render_kw=length_attrs("forum", "secretary"))
    officials_present = TextAreaField(_l("Cán bộ xã dự (mỗi người một dòng)"),
                                      validators=[Optional()],
                                      render_kw=length_attrs("forum", "officials_present"))
    attendance_total = IntegerField(_l("Tổng số người dự"), validators=[Optional()])
    attendance_women = IntegerField(_l("Số nữ"), validators=[Optional()])
    attendance_ethnic_minority = IntegerField(_l("Số người dân tộc thiểu số"),
                                              validators=[Optional()])
    households_represented = IntegerField(_l("Số hộ có đại diện"), validators=[Optional()])
    agenda = TextAreaField(_l("Chương trình hội nghị"), validators=[Optional()],
                           render_kw=length_attrs("forum", "agenda"))
    summary = TextAreaField(_l("Tóm tắt, kết luận"), validators=[Optional()],
                            render_kw=length_attrs("forum", "summary"))

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = choices(FORUM_KIND_LABELS)
        self.village_id.choices = [("", "—")] + [(str(v.id), v.name) for v in villages]


class AmendForumForm(ForumForm):
    reason = TextAreaField(_l("Lý do đính chính"), validators=[InputRequired()],
                           render_kw=length_attrs("amendment", "reason"))
    author = StringField(_l("Người đính chính"), validators=[InputRequired()],
                         render_kw=length_attrs("amendment", "author"))


class DecisionForm(Form):
    text = TextAreaField(_l("Nội dung quyết định"), validators=[InputRequired()],
                         render_kw=length_attrs("decision", "text"))
    votes_for = IntegerField(_l("Tán thành"), validators=[Optional()])
    votes_against = IntegerField(_l("Không tán thành"), validators=[Optional()])
    votes_abstain = IntegerField(_l("Không biểu quyết"), validators=[Optional()])


class ConfirmForm(Form):
    """A button that only needs CSRF protection (finalise, delete)."""
