"""Personal values mapped to the organisation's values, and what the room sees of them.

A values round is a round whose ballots hold each person's picks: a value
from the catalogue (or their own words), the stated organisational value it
maps to (or "not represented here"), and how much the organisation lives it
today (1–5); optionally the values the organisation has now and should have.
Storing them as ballots gives values rounds what voting rounds already have:
one submission per person that they can change, blind results until the
reveal, and full anonymity with nothing linking a submission to a person.

Every breakdown by level or department is suppressed for a group smaller
than :data:`MIN_GROUP_SIZE`, here and in every channel that shows it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import permissions
from ..catalogue import CatalogueValue, load_catalogue
from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..models import AuditAction, Ballot, Participant, Round, RoundKind, User, Workshop
from ..payloads import MIN_GROUP_SIZE, workshop_payload
from ..realtime import workshop_change
from . import audit
from .rounds import results_visible
from .workshops import get_workshop, get_workshop_for_staff

NOT_REPRESENTED = "none"
MAX_CUSTOM_LENGTH = 40
MAX_ADDED_VALUES = 30


@dataclasses.dataclass(frozen=True)
class Pick:
    """One personal value as a person placed it."""

    label: str  # catalogue key, or "custom:<words in lower case>"
    maps_to: str  # an organisational value id as text, or NOT_REPRESENTED
    lived: int
    words: str = ""  # own words as typed


# ---- the catalogue, as one workshop uses it ------------------------------------
def workshop_catalogue(workshop: Workshop, language: str = "en") -> list[CatalogueValue]:
    """The shipped catalogue in one language, minus hidden values, plus the workshop's own."""
    edits = workshop.catalogue_edits or {}
    hidden = set(edits.get("hidden", []))
    values = [
        value
        for group in load_catalogue(language)
        for value in group.values
        if value.key not in hidden
    ]
    for added in edits.get("added", []):
        values.append(
            CatalogueValue(
                key=added["key"],
                group=added.get("group", "own"),
                name=added["name"],
                description=added.get("description", ""),
            )
        )
    return values


def grouped_catalogue(workshop: Workshop, language: str = "en") -> list[dict[str, Any]]:
    """The workshop's catalogue grouped for pages: [{key, name, values: [{key, name, ...}]}]."""
    groups: dict[str, list[dict[str, str]]] = {}
    for value in workshop_catalogue(workshop, language):
        groups.setdefault(value.group, []).append(
            {"key": value.key, "name": value.name, "description": value.description}
        )
    names = {group.key: group.name for group in load_catalogue(language)}
    return [
        {"key": key, "name": names.get(key, _("Our own")), "values": items}
        for key, items in groups.items()
    ]


def edit_catalogue(
    actor: User, workshop_id: int, *, hidden: Iterable[str], added: Iterable[Mapping[str, str]]
) -> Workshop:
    """Hide catalogue values and add the organisation's own for this workshop."""
    workshop = get_workshop_for_staff(actor, workshop_id, moderate=True)
    known = {v.key for group in load_catalogue("en") for v in group.values}
    hidden_keys = sorted(set(hidden))
    if unknown := [key for key in hidden_keys if key not in known]:
        raise ValidationFailed(
            _("Unknown values: %(keys)s", keys=", ".join(unknown)), field="hidden"
        )
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in added:
        name = " ".join((item.get("name") or "").split())
        if not name:
            continue
        if len(name) > MAX_CUSTOM_LENGTH:
            raise ValidationFailed(
                _("Keep a value under %(n)s characters.", n=MAX_CUSTOM_LENGTH), field="added"
            )
        key = "own:" + name.lower()
        if key in seen:
            continue
        seen.add(key)
        cleaned.append(
            {
                "key": key,
                "name": name,
                "description": " ".join((item.get("description") or "").split())[:120],
                "group": "own",
            }
        )
    if len(cleaned) > MAX_ADDED_VALUES:
        raise ValidationFailed(_("Add at most %(n)s values.", n=MAX_ADDED_VALUES), field="added")
    with workshop_change(workshop.id) as change:
        workshop.catalogue_edits = {"hidden": hidden_keys, "added": cleaned}
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.CATALOGUE_EDIT,
            f"Values catalogue: {len(hidden_keys)} hidden, {len(cleaned)} added",
        )
        change.emit("workshop.updated", {"workshop": workshop_payload(workshop)})
    return workshop


# ---- one person's submission ------------------------------------------------------
def validate_values_ballot(
    raw: Mapping[str, Any], *, workshop: Workshop, round_: Round
) -> dict[str, Any]:
    """Check a values submission; returns it in stored form."""
    allowed = {value.key for value in workshop_catalogue(workshop)}
    org_ids = {str(value.id) for value in workshop.values}
    picks_in = raw.get("picks")
    if not isinstance(picks_in, list) or not picks_in:
        raise ValidationFailed(_("Pick at least one value."), field="picks")
    if len(picks_in) > round_.pick_limit:
        raise ValidationFailed(_("Pick at most %(n)s values.", n=round_.pick_limit), field="picks")
    picks: list[dict[str, Any]] = []
    labels: set[str] = set()
    for item in picks_in:
        if not isinstance(item, Mapping):
            raise ValidationFailed(_("This submission is not valid."), field="picks")
        label, words = _pick_label(item, allowed)
        if label in labels:
            raise ValidationFailed(_("Each value can be picked once."), field="picks")
        labels.add(label)
        maps_to = item.get("maps_to")
        maps_to = NOT_REPRESENTED if maps_to in (None, "", NOT_REPRESENTED) else str(maps_to)
        if maps_to != NOT_REPRESENTED and maps_to not in org_ids:
            raise ValidationFailed(
                _("Map each value to one of the organisation's values, or to none."),
                field="maps_to",
            )
        lived = item.get("lived")
        if not isinstance(lived, int) or isinstance(lived, bool) or not 1 <= lived <= 5:
            raise ValidationFailed(
                _("Rate from 1 to 5 how much the organisation lives each value today."),
                field="lived",
            )
        picks.append(
            {
                "value": label,
                "maps_to": maps_to,
                "lived": lived,
                **({"words": words} if words else {}),
            }
        )
    culture: dict[str, list[str]] = {}
    for kind in ("current", "desired"):
        chosen = raw.get(kind) or []
        if not isinstance(chosen, list) or len(chosen) > round_.pick_limit:
            raise ValidationFailed(
                _("Pick at most %(n)s values for the culture.", n=round_.pick_limit), field=kind
            )
        if unknown := [key for key in chosen if key not in allowed]:
            raise ValidationFailed(_("Unknown value: %(key)s", key=unknown[0]), field=kind)
        culture[kind] = list(dict.fromkeys(chosen))
    return {"picks": picks, **culture}


def _pick_label(item: Mapping[str, Any], allowed: set[str]) -> tuple[str, str]:
    """The pick's label (own words lower-cased, so the same words group together) and the
    words as typed, kept for display."""
    value, custom = item.get("value"), item.get("custom")
    if value and not custom:
        if value not in allowed:
            raise ValidationFailed(_("Unknown value: %(key)s", key=value), field="picks")
        return str(value), ""
    if custom and not value:
        words = " ".join(str(custom).split())
        if not words or len(words) > MAX_CUSTOM_LENGTH:
            raise ValidationFailed(
                _("Write your own value in 1 to %(n)s characters.", n=MAX_CUSTOM_LENGTH),
                field="custom",
            )
        return "custom:" + words.lower(), words
    raise ValidationFailed(
        _("Choose a value from the list or write your own, not both."), field="picks"
    )


# ---- what the room sees ------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Submission:
    """One stored values ballot with the group it may be counted in."""

    picks: tuple[Pick, ...]
    current: tuple[str, ...]
    desired: tuple[str, ...]
    level: str | None
    department: str | None


def submissions(ballots: Iterable[Any]) -> list[Submission]:
    """Stored ballots as submissions."""
    return [
        Submission(
            picks=tuple(
                Pick(p["value"], p["maps_to"], p["lived"], p.get("words", ""))
                for p in b.data.get("picks", [])
            ),
            current=tuple(b.data.get("current", [])),
            desired=tuple(b.data.get("desired", [])),
            level=b.level,
            department=b.department,
        )
        for b in ballots
    ]


def value_names(workshop: Workshop, language: str = "en") -> dict[str, str]:
    """Display names for every label a pick can carry."""
    return {value.key: value.name for value in workshop_catalogue(workshop, language)}


def display(label: str, names: Mapping[str, str]) -> str:
    """A pick's label as people read it (own words as first typed)."""
    if label in names:
        return names[label]
    if label.startswith("custom:"):
        return label.removeprefix("custom:").capitalize()
    return label


def alignment(subs: Iterable[Submission]) -> float | None:
    """Share of personal values that people found in the organisation's stated values."""
    picks = [pick for sub in subs for pick in sub.picks]
    if not picks:
        return None
    return sum(1 for pick in picks if pick.maps_to != NOT_REPRESENTED) / len(picks)


def heatmap(subs: Iterable[Submission]) -> dict[str, dict[str, int]]:
    """Counts of personal value × organisational value (or NOT_REPRESENTED)."""
    grid: dict[str, Counter[str]] = defaultdict(Counter)
    for sub in subs:
        for pick in sub.picks:
            grid[pick.label][pick.maps_to] += 1
    return {label: dict(counts) for label, counts in grid.items()}


def grouped(subs: list[Submission], attribute: str) -> dict[str, list[Submission] | None]:
    """Submissions per level or department; None where the group is too small to show."""
    groups: dict[str, list[Submission]] = defaultdict(list)
    for sub in subs:
        key = getattr(sub, attribute)
        if key:
            groups[key].append(sub)
    from .ballots import suppress_small_groups  # one rule for every breakdown

    shown = suppress_small_groups({key: len(members) for key, members in groups.items()})
    return {key: groups[key] if show else None for key, show in shown.items()}


def values_results(workshop: Workshop, subs: list[Submission]) -> dict[str, Any]:
    """Everything the room sees of a values round, with small groups suppressed."""
    names = value_names(workshop)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for sub in subs:
        for pick in sub.picks:
            if pick.words:
                spellings[pick.label][pick.words] += 1
    for label, counts in spellings.items():
        # The most common spelling; on a tie, the one with more capitals ("NHS" over "nhs").
        names[label] = max(counts, key=lambda w: (counts[w], sum(c.isupper() for c in w), w))
    org = {str(v.id): v.name for v in workshop.values}
    grid = heatmap(subs)
    totals = {label: sum(counts.values()) for label, counts in grid.items()}
    order = sorted(grid, key=lambda label: (-totals[label], display(label, names)))
    lived: dict[str, list[int]] = defaultdict(list)
    for sub in subs:
        for pick in sub.picks:
            if pick.maps_to != NOT_REPRESENTED:
                lived[pick.maps_to].append(pick.lived)
    not_represented = Counter(
        pick.label for sub in subs for pick in sub.picks if pick.maps_to == NOT_REPRESENTED
    )
    by_level = grouped(subs, "level")
    big_levels = {level: members for level, members in by_level.items() if members}
    shared: list[str] = []
    if len(big_levels) >= 2:
        per_level = [
            {pick.label for sub in members for pick in sub.picks} for members in big_levels.values()
        ]
        shared = sorted(set.intersection(*per_level), key=lambda label: display(label, names))
    return {
        "method": "values",
        "ballots": len(subs),
        "min_group_size": MIN_GROUP_SIZE,
        "columns": [{"id": key, "name": name} for key, name in org.items()]
        + [{"id": NOT_REPRESENTED, "name": _("Not represented here")}],
        "rows": [
            {
                "value": display(label, names),
                "key": label,
                "counts": grid[label],
                "total": totals[label],
            }
            for label in order
        ],
        "not_represented": [
            {"value": display(label, names), "count": count}
            for label, count in sorted(
                not_represented.items(), key=lambda item: (-item[1], display(item[0], names))
            )
        ][:5],
        "stated_not_lived": sorted(
            (
                {"org_value": org[key], "mean": round(sum(r) / len(r), 2), "count": len(r)}
                for key, r in lived.items()
                if key in org
            ),
            key=lambda item: (item["mean"], item["org_value"]),
        ),
        "shared_across_levels": [display(label, names) for label in shared],
        "alignment": {
            "workshop": alignment(subs),
            "by_level": {k: (alignment(v) if v else None) for k, v in by_level.items()},
            "by_department": {
                k: (alignment(v) if v else None) for k, v in grouped(subs, "department").items()
            },
        },
        "culture": {
            kind: [
                {"value": display(label, names), "count": count}
                for label, count in Counter(
                    label for sub in subs for label in getattr(sub, kind)
                ).most_common(10)
            ]
            for kind in ("current", "desired")
        },
    }


def filtered_results(
    workshop: Workshop, subs: list[Submission], *, level: str = "", department: str = ""
) -> dict[str, Any] | None:
    """Results for one level or department, or None when that group is under the threshold."""
    chosen = [
        sub
        for sub in subs
        if (not level or sub.level == level) and (not department or sub.department == department)
    ]
    if level or department:
        attribute, wanted = ("level", level) if level else ("department", department)
        if grouped(subs, attribute).get(wanted) is None:
            return None  # too small, or hidden so that a smaller one cannot be worked out
    return values_results(workshop, chosen)


def heatmap_view(
    viewer: Participant | User,
    workshop_id: int,
    round_id: int,
    *,
    level: str = "",
    department: str = "",
) -> tuple[Workshop, dict[str, Any] | None]:
    """The results a viewer may see for a values round (None: the group is too small)."""
    workshop = get_workshop(workshop_id)
    if not (
        permissions.is_participant_of(viewer, workshop) or permissions.can_follow(viewer, workshop)
    ):
        raise NotFound(_("This workshop does not exist."))
    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.workshop_id != workshop.id or round_.kind != RoundKind.VALUES:
        raise NotFound(_("This values round does not exist."))
    if not results_visible(round_):
        raise Forbidden(_("Results stay hidden until the facilitator reveals them."))
    stored = db.session.scalars(sa.select(Ballot).where(Ballot.round_id == round_.id))
    return workshop, filtered_results(
        workshop, submissions(stored), level=level, department=department
    )
