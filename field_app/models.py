"""Import every domain's models so the metadata (and Alembic) sees them all."""

from .central.accounts.models import Account, ApiToken  # noqa: F401
from .central.cases.models import DeadlineRule, OfficeCase  # noqa: F401
from .central.catalogue.models import OfficeCategory, OfficeVillage, Unit  # noqa: F401
from .central.duplicates.models import (  # noqa: F401
    OpinionTerm,
    OpinionTerms,
    SimilarPair,
    SimilarPending,
    TermCount,
)
from .central.identity.models import ProtectedIdentity  # noqa: F401
from .central.inbox.models import (  # noqa: F401
    AuditEntry,
    OfficeAttachment,
    OfficeForum,
    OfficeOpinion,
)
from .central.notify.models import Notification  # noqa: F401
from .central.reports.models import OpinionCount  # noqa: F401
from .field_models import (  # noqa: F401  (the laptop's: a laptop command loads only these)
    Amendment,
    AnswerReading,
    Attachment,
    Category,
    Commune,
    Decision,
    Forum,
    Opinion,
    Outbox,
    SyncState,
    Village,
)

# The office's own tables: created by the "office" migration branch on a central only.
OFFICE_TABLES = frozenset(model.__tablename__ for model in (
    ApiToken, OfficeCategory, OfficeVillage, Unit, AuditEntry, OfficeForum, OfficeOpinion,
    OfficeAttachment, OfficeCase, DeadlineRule, ProtectedIdentity, Notification, OpinionTerm,
    OpinionTerms, TermCount, SimilarPair, SimilarPending, OpinionCount))
