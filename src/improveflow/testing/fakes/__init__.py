"""In-memory stand-ins for the stores behind `improveflow.stores.protocols`, for unit tests.

Each keeps its rows in plain Python and ignores the transaction it is handed; the contract
suite (tests/contract/) holds it to the same behaviour as SQLite and PostgreSQL.
"""

from typing import TYPE_CHECKING

from improveflow.testing.fakes.actions import FakeActions
from improveflow.testing.fakes.audit import FakeAuditChain
from improveflow.testing.fakes.deputies import FakeDeputies
from improveflow.testing.fakes.outbox import FakeNoticeOutbox
from improveflow.testing.fakes.plans import FakeImports, FakePlanTitles
from improveflow.testing.fakes.rate import FakeMailRate
from improveflow.testing.fakes.requests import FakeRequestClaims
from improveflow.testing.fakes.sessions import FakePerson, FakeSpentLinks, FakeWebSessions

__all__ = [
    "FakeActions",
    "FakeAuditChain",
    "FakeDeputies",
    "FakeImports",
    "FakeMailRate",
    "FakeNoticeOutbox",
    "FakePerson",
    "FakePlanTitles",
    "FakeRequestClaims",
    "FakeSpentLinks",
    "FakeWebSessions",
]

if TYPE_CHECKING:
    # Each fake stands in for its store.
    from improveflow.stores import protocols

    _web_sessions: type[protocols.WebSessionStore] = FakeWebSessions
    _spent_links: type[protocols.SpentLinkStore] = FakeSpentLinks
    _mail_rate: type[protocols.MailRateStore] = FakeMailRate
    _deputies: type[protocols.DeputyStore] = FakeDeputies
    _audit_chain: type[protocols.AuditChainStore] = FakeAuditChain
    _request_claims: type[protocols.RequestClaimStore] = FakeRequestClaims
    _actions: type[protocols.ActionStore] = FakeActions
    _notices_outbox: type[protocols.NoticeOutboxStore] = FakeNoticeOutbox
    _plan_titles: type[protocols.PlanTitleStore] = FakePlanTitles
    _imports: type[protocols.ImportStore] = FakeImports
