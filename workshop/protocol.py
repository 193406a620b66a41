"""The Socket.IO protocol: the shape of every command's payload, checked before anything
else runs, and the registry of commands (docs/protocol.md describes each one).

Payloads are strict (no extra fields, no type coercion) and small: the server
refuses anything else with the ``invalid`` code before it reaches a service.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .models import Phase
from .services.agenda import RoundSettings


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ConnectAuth(Payload):
    model_config = ConfigDict(extra="ignore", strict=True)
    workshop_id: int


class Empty(Payload):
    pass


class SubmitProposal(Payload):
    body: str = Field(max_length=5000)
    op_id: str | None = Field(default=None, max_length=64)


class SetVote(Payload):
    proposal_id: int
    dots: int = Field(ge=0, le=100)
    token: str | None = Field(default=None, max_length=64)


class CastBallot(Payload):
    ballot: dict[str, Any]
    round_id: int | None = None
    token: str | None = Field(default=None, max_length=64)


class Sync(Payload):
    token: str | None = Field(default=None, max_length=64)


class RoundRef(Payload):
    round_id: int


class ExtendRound(Payload):
    round_id: int
    seconds: int = Field(ge=1, le=3600)


class MoveRound(Payload):
    round_id: int
    position: int = Field(ge=0, le=100)


class RoundSettingsIn(Payload):
    kind: str = Field(max_length=20)
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
        )


class ProposeAmendment(Payload):
    version_number: int
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    replacement: str = Field(max_length=2000)
    reason: str = Field(default="", max_length=500)


class VoteAmendment(Payload):
    amendment_id: int
    choice: str = Field(max_length=20)
    reason: str = Field(default="", max_length=500)


class SaveClause(Payload):
    clause_key: int
    body: str = Field(max_length=8000)
    based_on: int = Field(ge=1)
    note: str = Field(default="", max_length=500)


class EditingClause(Payload):
    clause_key: int | None = None


class VoteClause(Payload):
    clause_key: int
    choice: str = Field(max_length=20)
    reason: str = Field(default="", max_length=500)


class StartDuel(Payload):
    clause_key: int
    options: list[str] = Field(min_length=2, max_length=5)
    seconds: int = Field(ge=15, le=1800)
    method: str = Field(default="choose_one", max_length=20)
    start: int | None = Field(default=None, ge=0)
    end: int | None = Field(default=None, ge=0)


class VoteDuel(Payload):
    duel_id: int
    ranking: list[int] = Field(max_length=5)


class DuelRef(Payload):
    duel_id: int


class DecideAmendment(Payload):
    amendment_id: int
    note: str = Field(default="", max_length=500)


class TagValue(Payload):
    """Tag a proposal or an amendment (exactly one of the two ids)."""

    proposal_id: int | None = None
    amendment_id: int | None = None
    value_key: str = Field(max_length=60)


class TagRef(Payload):
    tag_id: int


class UpdateRound(RoundSettingsIn):
    """Only the fields sent change; the others keep the round's current values."""

    round_id: int
    kind: str | None = Field(default=None, max_length=20)

    def changes(self) -> dict[str, Any]:
        """The settings the facilitator sent, as the round's own field names."""
        changes = self.model_dump(exclude_unset=True, exclude={"round_id"})
        if "minutes" in changes:
            changes["duration_seconds"] = int(changes.pop("minutes") * 60)
        return changes


class PinProposal(Payload):
    proposal_id: int
    pinned: bool


class MergeProposals(Payload):
    keep_id: int
    merge_id: int


class SplitProposal(Payload):
    proposal_id: int
    parts: list[str] = Field(min_length=2, max_length=5)


class AddComment(Payload):
    proposal_id: int
    body: str = Field(max_length=2000)
    op_id: str | None = Field(default=None, max_length=64)


class ModerateComment(Payload):
    comment_id: int
    visible: bool
    reason: str = Field(default="", max_length=300)


class SetReadout(Payload):
    anonymous: bool


class SetPhase(Payload):
    phase: Phase = Field(strict=False)


class HideProposal(Payload):
    proposal_id: int
    reason: str = Field(default="", max_length=300)


class ProposalRef(Payload):
    proposal_id: int
