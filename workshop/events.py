"""The events a change publishes: one function per kind of news, deciding what each audience
receives (through :mod:`audiences`) and queuing it on the change (see :mod:`realtime`).

Services call these after they write; the events leave only once the change
commits. Cross-feature follow-ups live here too (a revealed values round
changes what the draft's coverage says; an agenda that no longer has a
refine round open releases participants' "editing" marks), so that services
never import each other to keep screens right.
"""

from __future__ import annotations

import sqlalchemy as sa

from . import audiences, queries, voters
from .database import rows_changed
from .extensions import db
from .models import (
    Amendment,
    AmendmentStatus,
    Connection,
    DocumentVersion,
    Duel,
    DuelStatus,
    Proposal,
    ProposalStatus,
    Round,
    RoundKind,
    RoundStatus,
    Workshop,
)
from .realtime import WorkshopChange


def workshop_updated(change: WorkshopChange, workshop: Workshop) -> None:
    """The workshop's settings changed: every screen redraws its frame."""
    change.emit("workshop.updated", {"workshop": audiences.workshop_payload(workshop)})


def phase_changed(change: WorkshopChange, workshop: Workshop) -> None:
    """The room moved to another phase."""
    change.emit(
        "phase.changed",
        {
            "phase": str(workshop.phase),
            "phase_changed_at": audiences.iso(workshop.phase_changed_at),
        },
    )


def agenda_changed(change: WorkshopChange, workshop_id: int) -> None:
    """The agenda (or a round's state or timer) changed; when no refine round is open any
    more, participants' "editing" marks go, since their saves would be refused now."""
    rounds = queries.list_rounds(workshop_id)
    change.emit("agenda.changed", {"rounds": [audiences.round_payload(r) for r in rounds]})
    running = queries.current_round(workshop_id)
    if (
        running is not None
        and running.kind == RoundKind.REFINE
        and queries.is_open_for_input(running)
    ):
        return
    released = rows_changed(
        db.session.execute(
            sa.update(Connection)
            .where(
                Connection.workshop_id == workshop_id,
                Connection.participant_id.is_not(None),
                Connection.editing_clause_key.is_not(None),
            )
            .values(editing_clause_key=None, editing_since=None)
        )
    )
    if released:
        editors_changed(change, queries.get_workshop(workshop_id))


def round_updated(change: WorkshopChange, round_: Round) -> None:
    """One round's settings or state changed."""
    change.emit("round.updated", {"round": audiences.round_payload(round_)})


def presence_changed(change: WorkshopChange, workshop_id: int) -> None:
    """Who is here, as counts."""
    change.emit("presence.changed", {"presence": audiences.presence_payload(workshop_id)})


def proposal_changed(change: WorkshopChange, proposal: Proposal, *, new: bool = False) -> None:
    """A card, for both audiences: staff see it in every state, participants only visible."""
    workshop = queries.get_workshop(proposal.workshop_id)
    comments = queries.comments_of([proposal.id])[proposal.id]
    name = "proposal.submitted" if new else "proposal.updated"
    staff = {"proposal": audiences.proposal_payload(proposal, staff=True, comments=comments)}
    if proposal.status == ProposalStatus.VISIBLE:
        public = audiences.proposal_payload(
            proposal, staff=False, readout=workshop.readout_anonymous, comments=comments
        )
        change.emit(name, {"proposal": public}, staff_payload=staff)
    elif new:
        change.emit(name, {}, staff_payload=staff, participants=False)
    else:
        change.emit(
            "proposal.removed",
            {"proposal_id": proposal.id},
            staff_payload=staff,
            staff_name="proposal.updated",
        )


def results_changed(change: WorkshopChange, workshop_id: int) -> None:
    """Moderation changes what is counted (hidden cards drop out, merged ones add up)."""
    round_ = queries.latest_vote_round(workshop_id)
    if round_ is not None:
        vote_state(change, round_)


def vote_state(change: WorkshopChange, round_: Round) -> None:
    """A round's count of voters, and its results once they may be seen; a revealed values or
    vocabulary round also changes what the draft says about values."""
    state = audiences.vote_state(round_)
    assert state is not None
    payload = {"round_id": state["round_id"], "voters": state["voters"]}
    if state["results"] is not None:
        payload["results"] = state["results"]
    change.emit("round.tallied", payload)
    if state["results"] is not None and round_.kind in (RoundKind.VALUES, RoundKind.VOCABULARY):
        wording_changed(change, queries.get_workshop(round_.workshop_id))


def wording_changed(change: WorkshopChange, workshop: Workshop) -> None:
    """What the draft says changed without a new version: coverage and marked words (a tag,
    a revealed values or vocabulary round) or its length budget (the settings)."""
    latest = queries.latest_version(workshop.id)
    if latest is not None:
        change.emit("document.wording", audiences.wording_payload(workshop, latest))


def document_saved(change: WorkshopChange, workshop: Workshop, version: DocumentVersion) -> None:
    """A version as screens show the draft (also when its name or state changed)."""
    change.emit(
        "document.saved",
        audiences.document_payload(workshop, version, staff=False),
        staff_payload=audiences.document_payload(workshop, version, staff=True),
    )


def latest_document(change: WorkshopChange, workshop: Workshop) -> None:
    """Screens show the latest version; send it again when its name or state changed."""
    latest = queries.latest_version(workshop.id)
    if latest is not None:
        document_saved(change, workshop, latest)


def stale_clause_votes(
    change: WorkshopChange,
    workshop: Workshop,
    version: DocumentVersion,
    *,
    previous: DocumentVersion | None,
) -> None:
    """After a new version: everyone whose clause vote it made stale sees the difference and
    is asked to confirm again (their own screens only; clauses this version left alone are
    not news)."""
    current = {c.key: c for c in queries.clauses_of(version)}
    before = {c.key: c.markdown for c in queries.clauses_of(previous)} if previous else {}
    changed = {key for key, clause in current.items() if before.get(key) != clause.markdown}
    stale = [
        vote
        for vote in queries.clause_votes(workshop.id)
        if vote.clause_key in changed and vote.voted_text != current[vote.clause_key].markdown
    ]
    anonymous = {}
    if any(vote.voter_hash for vote in stale):  # fully anonymous: only the server can tell
        people = queries.list_participants(workshop.id)
        keys = {vote.clause_key for vote in stale}
        anonymous = voters.hashes_of(people, workshop.id, voters.CONSENT_SCOPE, keys)
    for vote in stale:
        participant_id = vote.participant_id or anonymous.get(vote.voter_hash or "")
        if participant_id is None:
            continue
        clause = current[vote.clause_key]
        change.tell(
            participant_id,
            "clause.mine",
            {"clause_key": vote.clause_key, "vote": audiences.my_clause_vote(vote, clause)},
        )


def clause_consent(
    change: WorkshopChange, workshop: Workshop, version: DocumentVersion, clause_key: int
) -> None:
    """One clause's consent counts."""
    counts = audiences.consent_counts(workshop.id, version, only=clause_key)[clause_key]
    change.emit("clause.consent", {"clause_key": clause_key, "consent": counts})


def editors_changed(change: WorkshopChange, workshop: Workshop) -> None:
    """Who is editing which clause; participants see names only where anonymity allows."""
    rows = queries.editing_rows(workshop.id)
    change.emit(
        "clause.editing",
        {"editors": audiences.editors(workshop, staff=False, rows=rows)},
        staff_payload={"editors": audiences.editors(workshop, staff=True, rows=rows)},
    )


def amendment_changed(change: WorkshopChange, amendment: Amendment, *, new: bool = False) -> None:
    """An amendment for both audiences (staff see authors where peers may not)."""
    workshop = queries.get_workshop(amendment.workshop_id)
    change.emit(
        "amendment.proposed" if new else "amendment.updated",
        {
            "amendment": audiences.amendment_payload(
                amendment, staff=False, readout=workshop.readout_anonymous
            )
        },
        staff_payload={"amendment": audiences.amendment_payload(amendment, staff=True)},
    )


def duel_changed(change: WorkshopChange, duel: Duel, *, new: bool = False) -> None:
    """A duel, blind until decided."""
    change.emit("duel.started" if new else "duel.updated", {"duel": audiences.duel_payload(duel)})


# ---- counters, published at most once per coalescing interval (see realtime.py) ----------


def tally_soon(change: WorkshopChange, round_: Round) -> None:
    """A round's voter count (and live results) changed: a vote, not a state change."""
    round_id = round_.id

    def build(later: WorkshopChange) -> None:
        current = db.session.get(Round, round_id)
        if current is not None:
            vote_state(later, current)

    change.soon(f"tally:{round_id}", build)


def presence_soon(change: WorkshopChange, workshop_id: int) -> None:
    """Someone arrived or left."""
    change.soon("presence", lambda later: presence_changed(later, workshop_id))


def editors_soon(change: WorkshopChange, workshop_id: int) -> None:
    """Someone opened or closed a clause."""
    change.soon("editors", lambda later: editors_changed(later, queries.get_workshop(workshop_id)))


def consent_soon(change: WorkshopChange, workshop_id: int, clause_key: int) -> None:
    """Someone answered on a clause: its counts, as the latest version reads then."""

    def build(later: WorkshopChange) -> None:
        workshop = queries.get_workshop(workshop_id)
        latest = queries.latest_version(workshop_id)
        if latest is not None and any(c.key == clause_key for c in queries.clauses_of(latest)):
            clause_consent(later, workshop, latest, clause_key)

    change.soon(f"consent:{clause_key}", build)


def duel_soon(change: WorkshopChange, duel: Duel) -> None:
    """Someone voted in a duel (its voter count)."""
    duel_id = duel.id

    def build(later: WorkshopChange) -> None:
        current = db.session.get(Duel, duel_id)
        if current is not None:
            duel_changed(later, current)

    change.soon(f"duel:{duel_id}", build)


def amendment_soon(change: WorkshopChange, amendment: Amendment) -> None:
    """Someone answered an amendment (its counts)."""
    amendment_id = amendment.id

    def build(later: WorkshopChange) -> None:
        current = db.session.get(Amendment, amendment_id)
        if current is not None:
            amendment_changed(later, current)

    change.soon(f"amendment:{amendment_id}", build)


def counters_soon(change: WorkshopChange, workshop_id: int) -> None:
    """Every counter a room's screens follow, again. A process that died may have held news
    of them not yet published (votes committed and acknowledged there, their tally due a
    moment later): the other processes' screens would keep the old counts, and the snapshot
    kept for the room's present number with them, until something else changed."""
    for round_ in queries.list_rounds(workshop_id):
        if round_.takes_ballots and round_.status in (RoundStatus.RUNNING, RoundStatus.PAUSED):
            tally_soon(change, round_)
    for duel in queries.list_duels(workshop_id):
        if duel.status == DuelStatus.OPEN:
            duel_soon(change, duel)
    for amendment in queries.list_amendments(workshop_id):
        if amendment.status == AmendmentStatus.OPEN:
            amendment_soon(change, amendment)
    if (latest := queries.latest_version(workshop_id)) is not None:
        for clause in queries.clauses_of(latest):
            consent_soon(change, workshop_id, clause.key)
