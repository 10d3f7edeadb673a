"""The laptop's models: what a field app's database holds (`models` adds the office's)."""

from .answers.models import AnswerReading  # noqa: F401
from .areas.models import Commune, Village  # noqa: F401
from .attachments.models import Attachment  # noqa: F401
from .forums.models import Amendment, Decision, Forum  # noqa: F401
from .opinions.models import Category, Opinion  # noqa: F401
from .outbox.models import Outbox, SyncState  # noqa: F401
