"""Personal values mapped to the organisation's values: one person's submission checked,
and the room's submissions aggregated (the heatmap, the values not represented, the stated
values least lived, the values shared across levels, the alignment figure).

A values round is a round whose ballots hold each person's picks: a value
from the catalogue (or their own words), the stated organisational value it
maps to (or "not represented here"), and how much the organisation lives it
today (1–5); optionally the values the organisation has now and should have.

Pure: submissions in, figures out. Every breakdown by level or department goes
through :func:`privacy.suppress_small_groups`, here as everywhere.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _

from .catalogue import value_names, workshop_catalogue
from .errors import ValidationFailed
from .locales import current_language
from .models import Workshop
from .privacy import MIN_GROUP_SIZE, suppress_small_groups
from .text import one_line

NOT_REPRESENTED = "none"  # the person said: none of the organisation's values holds it
UNMAPPED = "unmapped"  # not placed yet: counted nowhere, never as "not represented"
MAX_CUSTOM_LENGTH = 40


@dataclasses.dataclass(frozen=True)
class Pick:
    """One personal value as a person placed it."""

    label: str  # catalogue key, or "custom:<words in lower case>"
    maps_to: str  # an organisational value id as text, NOT_REPRESENTED or UNMAPPED
    lived: int
    words: str = ""  # own words as typed


def validate_values_ballot(
    raw: Mapping[str, Any], *, workshop: Workshop, pick_limit: int
) -> dict[str, Any]:
    """Check a values submission against the workshop's catalogue and stated values;
    returns it in stored form."""
    allowed = {value.key for value in workshop_catalogue(workshop)}
    org_ids = {str(value.id) for value in workshop.values}
    picks_in = raw.get("picks")
    if not isinstance(picks_in, list) or not picks_in:
        raise ValidationFailed(_("Pick at least one value."), field="picks")
    if len(picks_in) > pick_limit:
        raise ValidationFailed(_("Pick at most %(n)s values.", n=pick_limit), field="picks")
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
        maps_to = UNMAPPED if maps_to in (None, "", UNMAPPED) else str(maps_to)
        if maps_to not in (NOT_REPRESENTED, UNMAPPED) and maps_to not in org_ids:
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
        if not isinstance(chosen, list) or len(chosen) > pick_limit:
            raise ValidationFailed(
                _("Pick at most %(n)s values for the culture.", n=pick_limit), field=kind
            )
        if unknown := [key for key in chosen if not isinstance(key, str) or key not in allowed]:
            raise ValidationFailed(_("Unknown value: %(key)s", key=unknown[0]), field=kind)
        culture[kind] = list(dict.fromkeys(chosen))
    return {"picks": picks, **culture}


def _pick_label(item: Mapping[str, Any], allowed: set[str]) -> tuple[str, str]:
    """The pick's label (own words lower-cased, so the same words group together) and the
    words as typed, kept for display."""
    value, custom = item.get("value"), item.get("custom")
    if not isinstance(value or "", str) or not isinstance(custom or "", str):
        raise ValidationFailed(_("This submission is not valid."), field="picks")
    if value and not custom:
        if value not in allowed:
            raise ValidationFailed(_("Unknown value: %(key)s", key=value), field="picks")
        return str(value), ""
    if custom and not value:
        words = one_line(custom)
        if not words or len(words) > MAX_CUSTOM_LENGTH:
            raise ValidationFailed(
                _("Write your own value in 1 to %(n)s characters.", n=MAX_CUSTOM_LENGTH),
                field="custom",
            )
        return "custom:" + words.lower(), words
    raise ValidationFailed(
        _("Choose a value from the list or write your own, not both."), field="picks"
    )


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


def display(label: str, names: Mapping[str, str]) -> str:
    """A pick's label as people read it (own words as first typed)."""
    if label in names:
        return names[label]
    if label.startswith("custom:"):
        return label.removeprefix("custom:").capitalize()
    return label


def alignment(subs: Iterable[Submission]) -> float | None:
    """Share of personal values that people found in the organisation's stated values (of
    those they have placed: a value not mapped yet counts neither way)."""
    picks = [pick for sub in subs for pick in sub.picks if pick.maps_to != UNMAPPED]
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
    shown = suppress_small_groups({key: len(members) for key, members in groups.items()})
    return {key: groups[key] if show else None for key, show in shown.items()}


def values_results(workshop: Workshop, subs: list[Submission]) -> dict[str, Any]:
    """Everything the room sees of a values round, with small groups suppressed."""
    names = value_names(workshop, current_language())
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
            if pick.maps_to not in (NOT_REPRESENTED, UNMAPPED):
                lived[pick.maps_to].append(pick.lived)
    not_represented = Counter(
        pick.label for sub in subs for pick in sub.picks if pick.maps_to == NOT_REPRESENTED
    )
    by_level = grouped(subs, "level")
    big_levels = {level: members for level, members in by_level.items() if members}
    unmapped = any(pick.maps_to == UNMAPPED for sub in subs for pick in sub.picks)
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
        + [{"id": NOT_REPRESENTED, "name": _("Not represented here")}]
        + ([{"id": UNMAPPED, "name": _("Not mapped yet")}] if unmapped else []),
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
            {"key": label, "value": display(label, names), "count": count}
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
        "shared_across_levels": [
            {"key": label, "value": display(label, names)} for label in shared
        ],
        # Levels left out of "shared across levels" because they are too small to show: the
        # screens say so instead of a bare "none yet".
        "levels_hidden": sum(1 for members in by_level.values() if members is None),
        "alignment": {
            "workshop": alignment(subs),
            "by_level": {k: (alignment(v) if v else None) for k, v in by_level.items()},
            "by_department": {
                k: (alignment(v) if v else None) for k, v in grouped(subs, "department").items()
            },
        },
        "culture": {
            kind: [
                {"key": label, "value": display(label, names), "count": count}
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
