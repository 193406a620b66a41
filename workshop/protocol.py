"""The Socket.IO protocol: the shape of every command's payload, checked before anything
else runs, and the registry of commands (docs/protocol.md describes each one).

Payloads are strict (no extra fields, no type coercion) and small: the server
refuses anything else with the ``invalid`` code before it reaches a service.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .models import Phase
from .services.agenda import RoundSettings
from .text import holds_unstorable

# Database ids and numbers people send back: positive, and no larger than the databases'
# INTEGER columns hold (32 bits on PostgreSQL; SQLite's and JavaScript's go further), so an
# absurd id is "not found" or "invalid", never a server error.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
ClauseKey = Annotated[int, Field(ge=-1000, le=MAX_ID)]  # keys of very old versions are negative
Offset = Annotated[int, Field(ge=0, le=100_000)]  # a position in a document's text


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*")
    @classmethod
    def _no_unstorable_characters(cls, value: Any) -> Any:
        if holds_unstorable(value):
            raise ValueError("text cannot hold the character NUL (\\0) or half a character")
        return value


class ConnectAuth(Payload):
    model_config = ConfigDict(extra="ignore", strict=True)
    workshop_id: Id
    # "projector": a staff login showing the room, which sees what participants see.
    audience: Literal["projector"] | None = None


class Empty(Payload):
    pass


class SubmitProposal(Payload):
    body: str = Field(max_length=5000)
    op_id: str | None = Field(default=None, max_length=64)


class SetVote(Payload):
    proposal_id: Id
    dots: int = Field(ge=0, le=100)
    op_id: str | None = Field(default=None, max_length=64)
    # The round the person saw: a vote resent after a reconnect is refused, not counted in a
    # round started meanwhile that they never saw.
    round_id: Id | None = None


class CastBallot(Payload):
    ballot: dict[str, Any]
    round_id: Id | None = None
    op_id: str | None = Field(default=None, max_length=64)


class NextRound(Payload):
    # The round the screen showed as current (0: none was): a second press of "Next" meant
    # the same step and is refused once the room has moved on. Absent: not checked.
    from_round_id: int | None = Field(default=None, ge=0, le=MAX_ID)


class RoundRef(Payload):
    round_id: Id


class ExtendRound(Payload):
    round_id: Id
    seconds: int = Field(ge=1, le=3600)


class MoveRound(Payload):
    round_id: Id
    position: int = Field(ge=0, le=100)


class RoundFields(Payload):
    """What a round may be set up with, but its kind: ``round.add`` needs a kind,
    ``round.update`` changes only what it sends."""

    prompt: str = Field(default="", max_length=500)
    minutes: float = Field(default=10, ge=0, le=240)
    method: str | None = Field(default=None, max_length=20)
    dots_budget: int = Field(default=3, ge=1, le=20)
    dots_cap: int | None = Field(default=None, ge=1, le=20)
    pick_limit: int = Field(default=5, ge=1, le=10)
    blind: bool = True
    breakdown_by_level: bool = False
    premoderation: bool = False
    anonymity: str | None = Field(default=None, max_length=20)
    words: list[dict[str, str]] = Field(default_factory=list, max_length=40)
    clause: str = Field(default="", max_length=120)
    source_round_id: Id | None = None
    all_proposals: bool = False


class RoundSettingsIn(RoundFields):
    kind: str = Field(max_length=20)

    def settings(self) -> RoundSettings:
        return RoundSettings(
            kind=self.kind,
            prompt=self.prompt,
            duration_seconds=int(self.minutes * 60),
            method=self.method,
            dots_budget=self.dots_budget,
            dots_cap=self.dots_cap,
            pick_limit=self.pick_limit,
            blind=self.blind,
            breakdown_by_level=self.breakdown_by_level,
            premoderation=self.premoderation,
            anonymity=self.anonymity,
            words=self.words,
            clause=self.clause,
            source_round_id=self.source_round_id,
            all_proposals=self.all_proposals,
        )


class ProposeAmendment(Payload):
    version_number: Id
    start: Offset
    end: Offset
    replacement: str = Field(max_length=2000)
    reason: str = Field(default="", max_length=500)


class VoteAmendment(Payload):
    amendment_id: Id
    choice: str = Field(max_length=20)
    reason: str = Field(default="", max_length=500)


class SaveClause(Payload):
    clause_key: ClauseKey
    body: str = Field(max_length=8000)
    based_on: Id
    note: str = Field(default="", max_length=500)


class EditingClause(Payload):
    clause_key: ClauseKey | None = None


class VoteClause(Payload):
    clause_key: ClauseKey
    choice: str = Field(max_length=20)
    reason: str = Field(default="", max_length=500)


class StartDuel(Payload):
    clause_key: ClauseKey
    options: list[str] = Field(min_length=2, max_length=5)
    seconds: int = Field(ge=15, le=1800)
    method: str = Field(default="choose_one", max_length=20)
    start: Offset | None = None
    end: Offset | None = None
    version_number: Id | None = None  # the version the span and wordings were chosen on


class VoteDuel(Payload):
    duel_id: Id
    ranking: list[Id] = Field(max_length=5)


class DuelRef(Payload):
    duel_id: Id


class DecideAmendment(Payload):
    amendment_id: Id
    note: str = Field(default="", max_length=500)


class TagValue(Payload):
    """Tag a proposal or an amendment (exactly one of the two ids)."""

    proposal_id: Id | None = None
    amendment_id: Id | None = None
    value_key: str = Field(max_length=60)


class TagRef(Payload):
    tag_id: Id


class UpdateRound(RoundFields):
    """Only the fields sent change; the others keep the round's current values."""

    round_id: Id
    kind: str | None = Field(default=None, max_length=20)

    def changes(self) -> dict[str, Any]:
        """The settings the facilitator sent, as the round's own field names."""
        changes = self.model_dump(exclude_unset=True, exclude={"round_id"})
        if "minutes" in changes:
            changes["duration_seconds"] = int(changes.pop("minutes") * 60)
        return changes


class PlaceWinners(Payload):
    round_id: Id
    count: int = Field(default=1, ge=1, le=10)


class PinProposal(Payload):
    proposal_id: Id
    pinned: bool


class MergeProposals(Payload):
    keep_id: Id
    merge_id: Id


class SplitProposal(Payload):
    proposal_id: Id
    parts: list[str] = Field(min_length=2, max_length=5)


class AddComment(Payload):
    proposal_id: Id
    body: str = Field(max_length=2000)
    op_id: str | None = Field(default=None, max_length=64)


class ModerateComment(Payload):
    comment_id: Id
    visible: bool
    reason: str = Field(default="", max_length=300)


class SetReadout(Payload):
    anonymous: bool


class SetPhase(Payload):
    phase: Phase = Field(strict=False)


class HideProposal(Payload):
    proposal_id: Id
    reason: str = Field(default="", max_length=300)


class ProposalRef(Payload):
    proposal_id: Id
