"""Import every domain's models so the metadata (and Alembic) sees them all."""

from .areas.models import Commune, Village  # noqa: F401
from .attachments.models import Attachment  # noqa: F401
from .central.models import Account  # noqa: F401
from .forums.models import Amendment, Decision, Forum  # noqa: F401
from .opinions.models import Category, Opinion  # noqa: F401
from .outbox.models import Outbox, SyncState  # noqa: F401
