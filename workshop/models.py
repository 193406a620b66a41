"""The data model: typed SQLAlchemy 2.x models and the enums they use.

Everything a live workshop needs to survive a restart lives here (phases,
presence, the event sequence), never in process memory, so that several
server processes behind a message queue see one truth.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from typing import Annotated, Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .voting import AmendmentAnswer, AmendmentMethod, ConsentChoice, DuelMethod
from .voting import Method as VotingMethod


def utcnow() -> dt.datetime:
    """Now, timezone-aware, in UTC: the only clock the models use."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timestamp stored as UTC and always read back timezone-aware.

    SQLite has no timezone-aware type; without this, values read back naive
    and comparisons with ``utcnow()`` fail.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; use models.utcnow()")
            value = value.astimezone(dt.UTC)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


intpk = Annotated[int, mapped_column(primary_key=True)]
created_at = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow)]
str_200 = Annotated[str, mapped_column(sa.String(200))]


def enum_column(enum_type: type[enum.StrEnum]) -> sa.Enum:
    """Store a StrEnum by its value ("facilitator"), as text that a CHECK constraint keeps
    to the enum's values on every database (no native enum types to migrate)."""
    return sa.Enum(
        enum_type,
        native_enum=False,
        create_constraint=True,
        length=max(20, *(len(member.value) for member in enum_type)),
        name=enum_type.__name__.lower(),
        values_callable=lambda members: [member.value for member in members],
    )


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with named constraints so migrations stay stable."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UserRole(enum.StrEnum):
    """What an account may do across the installation."""

    FACILITATOR = "facilitator"
    LEADERSHIP = "leadership"


class StaffRole(enum.StrEnum):
    """What an account may do in one workshop."""

    FACILITATOR = "facilitator"
    LEADERSHIP = "leadership"


class Phase(enum.StrEnum):
    """Where a workshop is. Order matters: it is the default running order."""

    LOBBY = "lobby"
    VALUES = "values"
    PROPOSE = "propose"
    VOTE = "vote"
    DRAFT = "draft"
    CLOSED = "closed"


class RoundKind(enum.StrEnum):
    """What a round of the agenda is for. A propose round asks for the wording of one clause
    of the mission; a vote round chooses among a set of proposals (by default those of the
    propose round before it); a consent round asks for consent on the draft's clauses."""

    VALUES = "values"
    PROPOSE = "propose"
    VOTE = "vote"
    REFINE = "refine"
    CONSENT = "consent"
    FINALISE = "finalise"
    VOCABULARY = "vocabulary"
    # How we will know: the room proposes and supports success measures for the clauses.
    MEASURES = "measures"


BALLOT_KINDS = frozenset({RoundKind.VOTE, RoundKind.VALUES, RoundKind.VOCABULARY})


class RoundStatus(enum.StrEnum):
    """Where a round is in its life; at most one round is running or paused at a time."""

    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


class Anonymity(enum.StrEnum):
    """Who can link a proposal or a ballot to a person."""

    NAMED = "named"  # everyone sees who wrote what
    PEERS = "peers"  # participants do not; facilitators do
    FULL = "full"  # nobody can, not even the facilitators or any export


class Audience(enum.StrEnum):
    """Who a screen is for: what it may receive is decided by this (see audiences.py)."""

    PARTICIPANT = "participant"
    STAFF = "staff"
    PROJECTOR = "projector"


class ProposalStatus(enum.StrEnum):
    """Moderation state of a proposal or a comment."""

    PENDING = "pending"  # waiting for the facilitator (pre-moderation)
    VISIBLE = "visible"
    HIDDEN = "hidden"
    MERGED = "merged"  # folded into another proposal; its votes and authors moved there


class VersionSource(enum.StrEnum):
    """Where a document version came from (provenance starts here)."""

    PROPOSAL = "proposal"
    EDIT = "edit"
    RESTORE = "restore"
    AMENDMENT = "amendment"
    DUEL = "duel"
    REOPEN = "reopen"  # a new draft on top of a final version, started by a facilitator


DEFAULT_LEVELS = ["Frontline", "Specialist", "Team lead", "Manager", "Director", "Executive"]


def random_key() -> str:
    """A random primary key: rows of a table keyed by it are stored in no telling order."""
    return secrets.token_hex(16)


class VoteRow:
    """Who cast a vote, as the database may know it: the participant (named and
    anonymous-to-peers modes) or only a voter hash (fully anonymous mode), never both.

    The voter hash is keyed with a secret that is destroyed when voting in its scope
    closes (see voters.py), and rows are keyed by random ids in tables without row
    ids, so neither their content nor their order in the file ties a vote to a person.
    """

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=random_key)
    participant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    voter_hash: Mapped[str | None] = mapped_column(sa.String(64))


def vote_row_constraints(*scope_columns: str) -> tuple[Any, ...]:
    """One vote per person per scope, by participant or by voter hash, and exactly one of them."""
    return (
        sa.UniqueConstraint(*scope_columns, "participant_id"),
        sa.UniqueConstraint(*scope_columns, "voter_hash"),
        sa.CheckConstraint("(participant_id IS NULL) <> (voter_hash IS NULL)", name="one_voter"),
        {"sqlite_with_rowid": False},
    )


class User(Base):
    """A staff account: facilitators run workshops, leadership follows and exports."""

    __tablename__ = "users"

    id: Mapped[intpk]
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str_200]
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[UserRole] = mapped_column(enum_column(UserRole))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Part of every login cookie and remember-me token; a new one (at logout or a password
    # change) makes every earlier cookie of the account worthless.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=random_key)
    created_at: Mapped[created_at]

    # Flask-Login protocol, kept tiny on purpose.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"


class Workshop(Base):
    """One live mission workshop and the state every screen follows."""

    __tablename__ = "workshops"

    id: Mapped[intpk]
    title: Mapped[str_200]
    organisation: Mapped[str_200]
    brief_md: Mapped[str] = mapped_column(sa.Text, default="")
    join_code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    join_code_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    phase: Mapped[Phase] = mapped_column(enum_column(Phase), default=Phase.LOBBY)
    phase_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    dots_per_participant: Mapped[int] = mapped_column(default=3)
    # The document's length budget, in words (None: no limit).
    words_per_clause: Mapped[int | None]
    words_total: Mapped[int | None]
    levels: Mapped[list[str]] = mapped_column(sa.JSON, default=lambda: list(DEFAULT_LEVELS))
    departments: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Last sequence number handed to a live event; see realtime.py.
    event_seq: Mapped[int] = mapped_column(default=0)
    anonymity: Mapped[Anonymity] = mapped_column(
        enum_column(Anonymity), default=Anonymity.NAMED, server_default=Anonymity.NAMED.value
    )
    # Read-out mode: proposals shown shuffled and without authors on every screen.
    readout_anonymous: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Whether the projector shows what to notice about representation (the facilitator's
    # choice: the room sees "no frontline words in the draft yet" only when asked to).
    wall_notices: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    lead_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # This workshop's changes to the shipped values catalogue: {"hidden": [keys],
    # "added": [{"key", "name", "description", "group"}]}.
    catalogue_edits: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, default=dict, server_default=sa.text("'{}'")
    )
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]
    # How people vote on amendments; each amendment keeps the method it was proposed under.
    amendment_method: Mapped[AmendmentMethod] = mapped_column(
        enum_column(AmendmentMethod), default=AmendmentMethod.CONSENT
    )
    # Last key handed to a clause of the document; keys are never reused (see clauses.py).
    clause_key_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    # Locking the mission needs current answers on every clause from at least this share
    # (per cent) of the people present; 0: answers are not required.
    lock_quorum: Mapped[int] = mapped_column(default=50)
    # Most people who may join (a safety cap against made-up participants); shown to staff.
    max_participants: Mapped[int] = mapped_column(default=500)
    # The interface language for everyone in this workshop who has not chosen their own;
    # "" follows each person's browser.
    language: Mapped[str] = mapped_column(sa.String(5), default="", server_default="")
    # The standing anonymous feedback link on the final mission (None: closed).
    feedback_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    values: Mapped[list[OrgValue]] = relationship(
        order_by="OrgValue.position", cascade="all, delete-orphan"
    )
    staff: Mapped[list[WorkshopStaff]] = relationship(cascade="all, delete-orphan")
    rounds: Mapped[list[Round]] = relationship(
        order_by="Round.position", cascade="all, delete-orphan", back_populates="workshop"
    )


class OrgValue(Base):
    """One of the organisation's stated values, as the workshop lists them."""

    __tablename__ = "org_values"

    id: Mapped[intpk]
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.String(500), default="")


class Round(Base):
    """One step of the agenda, with a server-authoritative timer."""

    __tablename__ = "rounds"

    id: Mapped[intpk]
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    kind: Mapped[RoundKind] = mapped_column(enum_column(RoundKind))
    prompt: Mapped[str] = mapped_column(sa.String(500), default="")
    duration_seconds: Mapped[int] = mapped_column(default=600)
    status: Mapped[RoundStatus] = mapped_column(
        enum_column(RoundStatus), default=RoundStatus.PENDING
    )
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # While running: when time is up. While paused: None, and remaining_seconds holds the rest.
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    remaining_seconds: Mapped[int | None]
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Vote rounds: the voting method and its settings (see workshop/voting.py). Values and
    # vocabulary rounds take ballots too, but of their own kind; consent rounds take answers
    # on clauses: no method.
    method: Mapped[VotingMethod | None] = mapped_column(enum_column(VotingMethod))
    dots_budget: Mapped[int] = mapped_column(default=3)
    # Values rounds: how many personal values each person picks.
    pick_limit: Mapped[int] = mapped_column(default=5, server_default="5")
    dots_cap: Mapped[int | None]
    blind: Mapped[bool] = mapped_column(default=True)
    revealed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    breakdown_by_level: Mapped[bool] = mapped_column(default=False)
    premoderation: Mapped[bool] = mapped_column(default=False)
    # None: the workshop's setting applies.
    anonymity: Mapped[Anonymity | None] = mapped_column(enum_column(Anonymity))
    # Vocabulary rounds: the candidate words, [{"word": str, "category": what|whom|how|why}].
    words: Mapped[list[dict[str, str]]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )
    # The clause of the mission the round works on ("Who we serve"), by heading, so it holds
    # before the draft exists; a vote round's winners go there. Empty: no particular clause.
    clause: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    # Vote rounds: whose proposals are on the ballot. A propose round, or (None) the propose
    # round before this one in the agenda; every visible proposal when all_proposals is set.
    source_round_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("rounds.id", ondelete="SET NULL")
    )
    all_proposals: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    workshop: Mapped[Workshop] = relationship(back_populates="rounds")

    __table_args__ = (
        sa.CheckConstraint("(kind = 'vote') = (method IS NOT NULL)", name="method_for_votes"),
        # At most one round is running or paused: the current round every screen follows.
        sa.Index(
            "uq_rounds_one_current_per_workshop",
            "workshop_id",
            unique=True,
            sqlite_where=sa.text("status IN ('running', 'paused')"),
            postgresql_where=sa.text("status IN ('running', 'paused')"),
        ),
    )

    @property
    def takes_ballots(self) -> bool:
        """Vote, consent, values and vocabulary rounds collect ballots; the others do not."""
        return self.kind in BALLOT_KINDS


class WorkshopStaff(Base):
    """An account's role in one workshop: who may moderate it, who may follow it."""

    __tablename__ = "workshop_staff"

    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True, index=True)
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole))

    user: Mapped[User] = relationship()


class StaffInvite(Base):
    """A single-use link that makes someone a facilitator or leadership of one workshop.

    Only the SHA-256 of the link's token is stored: the database (or a backup of it) does not
    hold a working link. An invite is pending until it is accepted, revoked or expires.
    """

    __tablename__ = "staff_invites"

    id: Mapped[intpk]
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254))
    # A CHECK constraint (from enum_column) keeps it to the StaffRole values.
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    workshop: Mapped[Workshop] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    __table_args__ = (
        # Used or revoked, never both; a used invite names who used it.
        sa.CheckConstraint("accepted_at IS NULL OR revoked_at IS NULL", name="used_or_revoked"),
        sa.CheckConstraint(
            "(accepted_at IS NULL) = (accepted_by_id IS NULL)", name="accepted_by_someone"
        ),
    )


class Participant(Base):
    """A person in one workshop: no account, known by a signed cookie token."""

    __tablename__ = "participants"

    id: Mapped[intpk]
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str] = mapped_column(sa.String(60))
    level: Mapped[str] = mapped_column(sa.String(60))
    department: Mapped[str] = mapped_column(sa.String(80), default="")
    joined_at: Mapped[created_at]
    # The random key of the join form this person sent: the same form sent again (a double
    # tap on "Join", both taps before the first answer) is the same person, not a second one.
    join_key: Mapped[str | None] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.Index("ix_participants_workshop_id_join_key", "workshop_id", "join_key", unique=True),
    )


class PendingErasure(Base):
    """A table whose old bytes must still leave the database files: written in the same
    transaction that deleted fully anonymous votes' keys or wrote their rows again, deleted
    once the table has been vacuumed. A server that crashed between the two (or a vacuum put
    off by a busy database) finds it when it next starts, and vacuums then."""

    __tablename__ = "pending_erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    table_name: Mapped[str] = mapped_column(sa.String(64))
    # When the old rows were deleted: a transaction begun before then may still read them, and
    # PostgreSQL's VACUUM FULL keeps what a running transaction may read.
    created_at: Mapped[created_at]


class ServerProcess(Base):
    """A running ``workshop serve`` process that shares the database with others (behind a
    message queue). It says it is alive every ``SERVER_HEARTBEAT_SECONDS``; one silent for
    three of those has died (a crash, a kill), and the others forget the sockets it held, so
    nobody it served stays counted as here."""

    __tablename__ = "server_processes"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    started_at: Mapped[created_at]
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


class Connection(Base):
    """One open socket: presence lives here, not in process memory."""

    __tablename__ = "connections"

    sid: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # The process holding the socket (ServerProcess.id, when it is one of several; not a
    # foreign key, since a single process or a test app never registers).
    server_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    # Indexed: who is online is counted by joining participants to their connections (for
    # every presence event and snapshot), which without it read every connection once per
    # participant (a room of 2,000: 0.26 s a count).
    participant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    # Who this screen is: a participant, staff, or the room's projector (a staff login that
    # sees only what participants may see).
    audience: Mapped[Audience] = mapped_column(enum_column(Audience), default=Audience.PARTICIPANT)
    connected_at: Mapped[created_at]
    # The clause this screen has open for editing ("X is editing this clause"); it goes
    # with the connection, so a closed laptop never leaves a clause marked.
    editing_clause_key: Mapped[int | None]
    editing_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Proposal(Base):
    """A participant's suggested wording for the mission."""

    __tablename__ = "proposals"
    __table_args__ = (sa.UniqueConstraint("author_id", "client_op_id"),)

    id: Mapped[intpk]
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    # None when the proposal was made in a fully anonymous round.
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="SET NULL")
    )
    round_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rounds.id", ondelete="SET NULL"))
    body_md: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[ProposalStatus] = mapped_column(
        enum_column(ProposalStatus),
        default=ProposalStatus.VISIBLE,
        server_default=ProposalStatus.VISIBLE.value,
    )
    pinned: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="SET NULL")
    )
    # Frozen at creation: whether authors may be shown to participants / staff.
    anonymity: Mapped[Anonymity] = mapped_column(
        enum_column(Anonymity), default=Anonymity.NAMED, server_default=Anonymity.NAMED.value
    )
    # The client's id for the command, so a resend after a reconnect is applied once.
    client_op_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[created_at]
    hidden_reason: Mapped[str] = mapped_column(sa.String(300), default="")

    author: Mapped[Participant | None] = relationship()
    credits: Mapped[list[ProposalCredit]] = relationship(cascade="all, delete-orphan")
    tags: Mapped[list[ValueTag]] = relationship(
        cascade="all, delete-orphan", order_by="ValueTag.id"
    )

    @property
    def is_hidden(self) -> bool:
        return self.status != ProposalStatus.VISIBLE


class ProposalCredit(Base):
    """Everyone credited for a proposal: its author, and the authors of merged duplicates."""

    __tablename__ = "proposal_credits"

    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True
    )
    # Indexed on its own too: a participant's screen lists what they are credited for.
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    participant: Mapped[Participant] = relationship()


class ValueTag(Base):
    """A value a proposal expresses, as its author, a facilitator or others tagged it."""

    __tablename__ = "value_tags"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "value_key"),
        sa.UniqueConstraint("amendment_id", "value_key"),
        sa.CheckConstraint(
            "(proposal_id IS NULL) <> (amendment_id IS NULL)", name="one_tagged_item"
        ),
    )

    id: Mapped[intpk]
    # Exactly one of these: the tagged proposal or amendment.
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    amendment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("amendments.id", ondelete="CASCADE"), index=True
    )
    value_key: Mapped[str] = mapped_column(sa.String(60))
    # Tagged by the author or a facilitator: it counts at once; by others: once supported.
    confirmed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_at]

    supporters: Mapped[list[TagSupport]] = relationship(cascade="all, delete-orphan")


class TagSupport(VoteRow, Base):
    """A participant agreeing that a proposal or an amendment expresses a value."""

    __tablename__ = "tag_supports"
    __table_args__ = vote_row_constraints("tag_id")

    tag_id: Mapped[int] = mapped_column(sa.ForeignKey("value_tags.id", ondelete="CASCADE"))


class Ballot(VoteRow, Base):
    """One person's current ballot in one round (only the latest counts)."""

    __tablename__ = "ballots"
    __table_args__ = vote_row_constraints("round_id")

    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rounds.id", ondelete="CASCADE"), index=True
    )
    # For breakdowns (never shown for a group under 5); both None when fully anonymous.
    level: Mapped[str | None] = mapped_column(sa.String(60))
    department: Mapped[str | None] = mapped_column(sa.String(80))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    # The operations that last changed it (votes.applied_op_key): a vote resent after its
    # acknowledgement was lost is applied once, never over a later change from another tab.
    op_keys: Mapped[list[str] | None] = mapped_column(sa.JSON)


class Comment(Base):
    """A short reply under a proposal, moderated like proposals."""

    __tablename__ = "comments"
    __table_args__ = (sa.UniqueConstraint("author_id", "client_op_id"),)

    id: Mapped[intpk]
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposals.id", ondelete="CASCADE"), index=True
    )
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="SET NULL")
    )
    body_md: Mapped[str] = mapped_column(sa.String(1000))
    status: Mapped[ProposalStatus] = mapped_column(
        enum_column(ProposalStatus), default=ProposalStatus.VISIBLE
    )
    hidden_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    anonymity: Mapped[Anonymity] = mapped_column(enum_column(Anonymity), default=Anonymity.NAMED)
    client_op_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[created_at]

    author: Mapped[Participant | None] = relationship()


class AuditAction(enum.StrEnum):
    """What a facilitator did, as ``noun.verb``: the audit log's vocabulary."""

    AGENDA_TEMPLATE = "agenda.template"
    ROUND_ADD = "round.add"
    ROUND_EDIT = "round.edit"
    ROUND_REMOVE = "round.remove"
    ROUND_MOVE = "round.move"
    ROUND_START = "round.start"
    ROUND_PAUSE = "round.pause"
    ROUND_RESUME = "round.resume"
    ROUND_EXTEND = "round.extend"
    ROUND_END = "round.end"
    ROUND_REVEAL = "round.reveal"
    WORKSHOP_PHASE = "workshop.phase"
    WORKSHOP_HANDOVER = "workshop.handover"
    INVITE_CREATE = "invite.create"
    INVITE_REVOKE = "invite.revoke"
    INVITE_ACCEPT = "invite.accept"
    READOUT_SET = "readout.set"
    CATALOGUE_EDIT = "catalogue.edit"
    PROPOSAL_APPROVE = "proposal.approve"
    PROPOSAL_HIDE = "proposal.hide"
    PROPOSAL_RESTORE = "proposal.restore"
    PROPOSAL_PIN = "proposal.pin"
    PROPOSAL_UNPIN = "proposal.unpin"
    PROPOSAL_MERGE = "proposal.merge"
    PROPOSAL_SPLIT = "proposal.split"
    COMMENT_SHOW = "comment.show"
    COMMENT_HIDE = "comment.hide"
    TAG_ADD = "tag.add"
    TAG_REMOVE = "tag.remove"
    AMENDMENT_ACCEPT = "amendment.accept"
    AMENDMENT_REJECT = "amendment.reject"
    DUEL_START = "duel.start"
    DUEL_CLOSE = "duel.close"
    DUEL_CANCEL = "duel.cancel"
    VERSION_NAME = "version.name"
    VERSION_LOCK = "version.lock"
    VERSION_REOPEN = "version.reopen"
    VERSION_SIGNOFF = "version.signoff"
    QUORUM_SET = "quorum.set"
    CLAUSE_STAKEHOLDERS = "clause.stakeholders"
    MEASURE_AGREE = "measure.agree"
    MEASURE_DROP = "measure.drop"
    FEEDBACK_OPEN = "feedback.open"
    FEEDBACK_CLOSE = "feedback.close"
    WORKSHOP_NEXT_REVISION = "workshop.next_revision"
    WALL_NOTICES = "wall.notices"


class AuditEntry(Base):
    """One facilitator action, readable by the workshop's facilitators and leadership."""

    __tablename__ = "audit_entries"

    id: Mapped[intpk]
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction))
    summary: Mapped[str] = mapped_column(sa.String(500))
    # The id of what the action was about, where a later reading needs it (a success
    # measure agreed or dropped: an old version's export reads its decisions back).
    subject_id: Mapped[int | None]
    # ``summary`` is an untranslated message id with %(name)s placeholders; ``params`` fills
    # them when the entry is shown, in the reader's language (services/audit.summary_of).
    params: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON, default=dict, server_default=sa.text("'{}'")
    )
    created_at: Mapped[created_at]

    actor: Mapped[User] = relationship()


class DocumentVersion(Base):
    """One numbered, immutable version of the workshop's mission document."""

    __tablename__ = "document_versions"
    __table_args__ = (sa.UniqueConstraint("workshop_id", "number"),)

    id: Mapped[intpk]
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    body_md: Mapped[str] = mapped_column(sa.Text)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    source: Mapped[VersionSource] = mapped_column(enum_column(VersionSource))
    based_on: Mapped[int | None]
    # Who saved it: a staff account, or a participant editing a clause in a refine round
    # (neither is kept for a participant in a fully anonymous round).
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    editor_participant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="SET NULL")
    )
    # The anonymity a participant saved under: whether others may see who they are.
    anonymity: Mapped[Anonymity] = mapped_column(enum_column(Anonymity), default=Anonymity.NAMED)
    created_at: Mapped[created_at]
    # The key of each clause of body_md, in order (see clauses.py).
    clause_keys: Mapped[list[int]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )
    # The clause a clause-level save changed, and the amendment or duel it applied.
    clause_key: Mapped[int | None]
    amendment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("amendments.id", ondelete="SET NULL")
    )
    duel_id: Mapped[int | None] = mapped_column(sa.ForeignKey("duels.id", ondelete="SET NULL"))

    name: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    # The document's own title (a pasted "# Title" line), kept from version to version.
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    # Who wrote each word of body_md, in order (see credits.py).
    word_credits: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Locked as the final mission: set once, never cleared (a later change is a new version).
    final_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    final_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The consent it was locked on, as counted at that moment (final.frozen_readiness): the
    # people present, the quorum, and each clause's answers, counts only; the consent by level;
    # and who had joined (their groups), proposed and voted then, by participant id (never
    # known of fully anonymous work), no names. Answers given after a reopen, and people who
    # join later, change the draft's, never this. Loaded when asked for (it grows with the
    # room, and the latest version is read on every screen's snapshot).
    final_readiness: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, deferred=True)
    # The workshop's record as it stood at the lock, per language (record.record_at_lock):
    # what every export of this version says, whatever happens after a reopen.
    final_record: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, deferred=True)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    editor_participant: Mapped[Participant | None] = relationship()
    amendment: Mapped[Amendment | None] = relationship(foreign_keys=[amendment_id])
    duel: Mapped[Duel | None] = relationship(foreign_keys=[duel_id])
    source_proposals: Mapped[list[Proposal]] = relationship(secondary="version_proposals")
    signoffs: Mapped[list[SignOff]] = relationship(
        cascade="all, delete-orphan", order_by="SignOff.id"
    )

    @property
    def editor_name(self) -> str:
        """Who saved this version, as history shows it."""
        if self.author is not None:
            return self.author.display_name
        if self.editor_participant is not None:
            return self.editor_participant.display_name
        from flask_babel import gettext

        return gettext("A participant")


class AmendmentStatus(enum.StrEnum):
    """Where a suggested change to the draft stands."""

    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Amendment(Base):
    """A participant's suggestion to replace a span of one version of the draft."""

    __tablename__ = "amendments"

    id: Mapped[intpk]
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    version_number: Mapped[int]  # the version the span was selected in
    clause_key: Mapped[int | None]  # the clause the span lies in
    start: Mapped[int]
    end: Mapped[int]
    original: Mapped[str] = mapped_column(sa.Text)
    replacement: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    method: Mapped[AmendmentMethod] = mapped_column(
        enum_column(AmendmentMethod), default=AmendmentMethod.CONSENT
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="SET NULL")
    )
    anonymity: Mapped[Anonymity] = mapped_column(enum_column(Anonymity), default=Anonymity.NAMED)
    status: Mapped[AmendmentStatus] = mapped_column(
        enum_column(AmendmentStatus), default=AmendmentStatus.OPEN
    )
    decided_note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[created_at]

    author: Mapped[Participant | None] = relationship()
    votes: Mapped[list[AmendmentVote]] = relationship(cascade="all, delete-orphan")
    tags: Mapped[list[ValueTag]] = relationship(
        cascade="all, delete-orphan", order_by="ValueTag.id"
    )


class AmendmentVote(VoteRow, Base):
    """One person's answer on an amendment (only the latest counts)."""

    __tablename__ = "amendment_votes"
    __table_args__ = vote_row_constraints("amendment_id")

    amendment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("amendments.id", ondelete="CASCADE"), index=True
    )
    choice: Mapped[AmendmentAnswer] = mapped_column(enum_column(AmendmentAnswer))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")


class ClauseVote(VoteRow, Base):
    """One person's consent on one clause, with the words they consented to.

    When the clause changes after the vote, the vote is stale: the person is
    shown the difference and asked again; other clauses' votes stand.
    """

    __tablename__ = "clause_votes"
    __table_args__ = (
        sa.UniqueConstraint("workshop_id", "clause_key", "participant_id"),
        sa.UniqueConstraint("workshop_id", "clause_key", "voter_hash"),
        sa.CheckConstraint("(participant_id IS NULL) <> (voter_hash IS NULL)", name="one_voter"),
        {"sqlite_with_rowid": False},
    )

    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    clause_key: Mapped[int]
    choice: Mapped[ConsentChoice] = mapped_column(enum_column(ConsentChoice))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    version_number: Mapped[int]
    voted_text: Mapped[str] = mapped_column(sa.Text)


class DuelStatus(enum.StrEnum):
    """Where a wording duel stands."""

    OPEN = "open"
    DECIDED = "decided"
    CANCELLED = "cancelled"


class Duel(Base):
    """Two to five wordings of a clause or a span of it, in a timed blind vote."""

    __tablename__ = "duels"

    id: Mapped[intpk]
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    clause_key: Mapped[int]
    version_number: Mapped[int]  # the version the span was taken from
    start: Mapped[int]  # the span in that version's text
    end: Mapped[int]
    original: Mapped[str] = mapped_column(sa.Text)
    method: Mapped[DuelMethod] = mapped_column(
        enum_column(DuelMethod), default=DuelMethod.CHOOSE_ONE
    )
    status: Mapped[DuelStatus] = mapped_column(enum_column(DuelStatus), default=DuelStatus.OPEN)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[created_at]
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    winner_id: Mapped[int | None]
    # The counts as announced (per option id), and the version the winner made, if any.
    result: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    version_made: Mapped[int | None]

    options: Mapped[list[DuelOption]] = relationship(
        cascade="all, delete-orphan", order_by="DuelOption.position"
    )
    ballots: Mapped[list[DuelBallot]] = relationship(cascade="all, delete-orphan")


class DuelOption(Base):
    """One wording in a duel; the losing ones stay on record."""

    __tablename__ = "duel_options"

    id: Mapped[intpk]
    duel_id: Mapped[int] = mapped_column(sa.ForeignKey("duels.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)


class DuelBallot(VoteRow, Base):
    """One person's current choice (or ranking) in a duel."""

    __tablename__ = "duel_ballots"
    __table_args__ = vote_row_constraints("duel_id")

    duel_id: Mapped[int] = mapped_column(sa.ForeignKey("duels.id", ondelete="CASCADE"), index=True)
    ranking: Mapped[list[int]] = mapped_column(sa.JSON)  # option ids, most preferred first


class VoteKey(Base):
    """The salt of one scope's voter hashes (a round, an amendment, a duel, clause consent,
    tags, success measures, people's own part) while voting in it is open; deleted when it
    closes (see voters.py)."""

    __tablename__ = "vote_keys"
    __table_args__ = (sa.UniqueConstraint("workshop_id", "scope"),)

    id: Mapped[intpk]
    workshop_id: Mapped[int] = mapped_column(sa.ForeignKey("workshops.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(sa.String(40))
    salt: Mapped[bytes] = mapped_column(sa.LargeBinary(32))


class SignOff(Base):
    """A leadership member's sign-off of the final version: name, time and comment."""

    __tablename__ = "signoffs"
    __table_args__ = (sa.UniqueConstraint("version_id", "user_id"),)

    id: Mapped[intpk]
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("document_versions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # The name as it was when signing, so the record does not change with the account.
    signer_name: Mapped[str_200]
    comment: Mapped[str] = mapped_column(sa.String(1000), default="")
    created_at: Mapped[created_at]


version_proposals = sa.Table(
    "version_proposals",
    Base.metadata,
    sa.Column(
        "version_id",
        sa.ForeignKey("document_versions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("proposal_id", sa.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True),
)


# ---- Is everyone in the mission: whom it speaks to, people's own part, how we will know,
# ---- and whether it lands after the workshop (issue 14) ----------------------------------


class Stakeholder(enum.StrEnum):
    """Whom a clause of the mission speaks to."""

    CLIENTS = "clients"
    COLLEAGUES = "colleagues"
    COMMUNITY = "community"
    OWNERS = "owners"  # owners or funders
    PARTNERS = "partners"


class ClauseStakeholder(Base):
    """One clause (by key, so it follows the clause across versions) speaks to one group."""

    __tablename__ = "clause_stakeholders"

    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True
    )
    clause_key: Mapped[int] = mapped_column(primary_key=True)
    stakeholder: Mapped[Stakeholder] = mapped_column(enum_column(Stakeholder), primary_key=True)


class MyPart(VoteRow, Base):
    """One participant's sentence on how their own work serves one clause of the mission.

    Kept like a vote (see ``VoteRow``): in a fully anonymous workshop only a voter hash says
    whose it is, so its writer can still change it while the workshop is open, and nobody
    can tell whose it is once the workshop has closed.
    """

    __tablename__ = "my_parts"
    __table_args__ = vote_row_constraints("workshop_id", "clause_key")

    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    clause_key: Mapped[int]
    sentence: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[created_at]


class MeasureStatus(enum.StrEnum):
    """A success measure is proposed, then agreed (it goes into the mission) or dropped."""

    PROPOSED = "proposed"
    AGREED = "agreed"
    DROPPED = "dropped"


class SuccessMeasure(Base):
    """How we will know a clause is lived: what is measured, from where to where, by whom
    and when it is looked at again."""

    __tablename__ = "success_measures"

    id: Mapped[intpk]
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    clause_key: Mapped[int]
    what: Mapped[str] = mapped_column(sa.String(300))
    baseline: Mapped[str] = mapped_column(sa.String(200), default="")
    target: Mapped[str] = mapped_column(sa.String(200))
    owner_team: Mapped[str] = mapped_column(sa.String(120), default="")
    review_on: Mapped[dt.date | None]
    status: Mapped[MeasureStatus] = mapped_column(
        enum_column(MeasureStatus), default=MeasureStatus.PROPOSED
    )
    # Who proposed it: a participant, or None for a facilitator writing one down for the room
    # and for anyone in a fully anonymous workshop.
    proposed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_at]

    supporters: Mapped[list[MeasureSupport]] = relationship(cascade="all, delete-orphan")


class MeasureSupport(VoteRow, Base):
    """A participant's vote for a proposed success measure (one each; fully anonymous: a
    voter hash, see ``VoteRow``)."""

    __tablename__ = "measure_supports"
    __table_args__ = vote_row_constraints("measure_id")

    measure_id: Mapped[int] = mapped_column(
        sa.ForeignKey("success_measures.id", ondelete="CASCADE")
    )


class FeedbackAnswer(enum.StrEnum):
    """After the workshop: does this clause land for you?"""

    LANDS = "lands"
    PARTLY = "partly"
    DOES_NOT = "does_not"


class Feedback(Base):
    """One anonymous answer on one clause of a final mission, from anyone with the standing
    feedback link: no person, cookie or address is stored, and only the day it came."""

    __tablename__ = "feedback"

    id: Mapped[intpk]
    workshop_id: Mapped[int] = mapped_column(
        sa.ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    version_number: Mapped[int]
    clause_key: Mapped[int]
    answer: Mapped[FeedbackAnswer] = mapped_column(enum_column(FeedbackAnswer))
    comment: Mapped[str] = mapped_column(sa.String(1000), default="")
    received_on: Mapped[dt.date]
