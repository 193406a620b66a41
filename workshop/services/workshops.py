"""Creating, configuring and running workshops (phases, staff, join codes)."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import events, permissions, voting
from ..catalogue import SUPPORTED_LANGUAGES
from ..errors import Forbidden, InvalidState, NotFound, ValidationFailed
from ..extensions import db
from ..guards import workshop_for_staff
from ..join_codes import generate_join_code
from ..levels import in_language
from ..locales import current_language
from ..models import (
    DEFAULT_LEVELS,
    Anonymity,
    AuditAction,
    OrgValue,
    StaffRole,
    User,
    Workshop,
    WorkshopStaff,
)
from ..queries import has_contributions, participant_count
from ..realtime import workshop_change
from ..text import normalise_text, one_line
from . import audit
from .accounts import normalise_email

MAX_BRIEF_LENGTH = 20_000
MAX_LIST_ITEMS = 30
MAX_PARTICIPANTS = 10_000


@dataclasses.dataclass
class WorkshopSettings:
    """What a facilitator fills in when creating or editing a workshop."""

    title: str
    organisation: str
    brief_md: str = ""
    values: list[str] = dataclasses.field(default_factory=list)
    levels: list[str] = dataclasses.field(default_factory=lambda: list(DEFAULT_LEVELS))
    departments: list[str] = dataclasses.field(default_factory=list)
    dots_per_participant: int = 3
    # None when editing: keep the workshop's setting.
    anonymity: Anonymity | str | None = Anonymity.NAMED
    words_per_clause: int | None = None
    words_total: int | None = None
    amendment_method: str = "consent"
    language: str = ""  # "" lets each person's browser decide
    # Most people who may join; None keeps the workshop's (or, new, the default).
    max_participants: int | None = None


def _clean_list(items: list[str], *, field: str, max_length: int) -> list[str]:
    """Trim, drop blanks and duplicates (case-insensitively), keep order."""
    seen: set[str] = set()
    cleaned: list[str] = []
    for item in items:
        item = one_line(item)
        if not item or item.lower() in seen:
            continue
        if len(item) > max_length:
            raise ValidationFailed(
                _("“%(item)s…” is longer than %(n)s characters.", item=item[:30], n=max_length),
                field=field,
            )
        seen.add(item.lower())
        cleaned.append(item)
    if len(cleaned) > MAX_LIST_ITEMS:
        raise ValidationFailed(_("Keep the list to %(n)s items.", n=MAX_LIST_ITEMS), field=field)
    return cleaned


def _validated(settings: WorkshopSettings) -> WorkshopSettings:
    title = one_line(settings.title)
    organisation = one_line(settings.organisation)
    if not title or len(title) > 200:
        raise ValidationFailed(
            _("Give the workshop a title of 1 to 200 characters."), field="title"
        )
    if not organisation or len(organisation) > 200:
        raise ValidationFailed(
            _("Name the organisation (1 to 200 characters)."), field="organisation"
        )
    brief = normalise_text(settings.brief_md)
    if len(brief) > MAX_BRIEF_LENGTH:
        raise ValidationFailed(
            _("Keep the brief under %(n)s characters.", n=MAX_BRIEF_LENGTH), field="brief_md"
        )
    levels = _clean_list(settings.levels, field="levels", max_length=60)
    if not levels:
        raise ValidationFailed(_("List at least one organisational level."), field="levels")
    try:
        anonymity = Anonymity(settings.anonymity) if settings.anonymity is not None else None
    except ValueError:
        raise ValidationFailed(_("Unknown anonymity setting."), field="anonymity") from None
    for limit, field in (
        (settings.words_per_clause, "words_per_clause"),
        (settings.words_total, "words_total"),
    ):
        if limit is not None and not 1 <= limit <= 5000:
            raise ValidationFailed(_("A word budget is between 1 and 5000 words."), field=field)
    if settings.language not in ("", *SUPPORTED_LANGUAGES):
        raise ValidationFailed(_("Choose a language from the list."), field="language")
    if settings.amendment_method not in voting.AMENDMENT_ANSWERS:
        raise ValidationFailed(_("Choose how people vote on amendments."), field="amendment_method")
    if not 1 <= settings.dots_per_participant <= 20:
        raise ValidationFailed(_("Dots per person must be between 1 and 20."), field="dots")
    if settings.max_participants is not None and not (
        1 <= settings.max_participants <= MAX_PARTICIPANTS
    ):
        raise ValidationFailed(
            _("Between 1 and %(n)s people can join.", n=MAX_PARTICIPANTS),
            field="max_participants",
        )
    return WorkshopSettings(
        title=title,
        organisation=organisation,
        brief_md=brief,
        values=_clean_list(settings.values, field="values", max_length=80),
        levels=levels,
        departments=_clean_list(settings.departments, field="departments", max_length=80),
        dots_per_participant=settings.dots_per_participant,
        anonymity=anonymity,
        words_per_clause=settings.words_per_clause,
        words_total=settings.words_total,
        amendment_method=settings.amendment_method,
        language=settings.language,
        max_participants=settings.max_participants,
    )


def create_workshop(actor: User, settings: WorkshopSettings) -> Workshop:
    """Create a workshop in the lobby, with its creator as facilitator."""
    workshop = add_workshop(actor, settings)
    db.session.commit()
    return workshop


def add_workshop(actor: User, settings: WorkshopSettings) -> Workshop:
    """:func:`create_workshop` in the caller's transaction, which commits it (or nothing):
    the next revision of a mission is made with its draft, in one commit."""
    if not permissions.can_create_workshop(actor):
        raise Forbidden(_("Only facilitator accounts can create workshops."))
    settings = _validated(settings)
    code = generate_join_code()
    while db.session.scalar(sa.select(Workshop.id).where(Workshop.join_code == code)):
        code = generate_join_code()  # astronomically rare; never reuse a live code
    workshop = Workshop(
        title=settings.title,
        organisation=settings.organisation,
        brief_md=settings.brief_md,
        join_code=code,
        # The prefilled default levels, in the workshop's language (else its creator's).
        levels=in_language(
            settings.levels, settings.language or current_language(), SUPPORTED_LANGUAGES
        ),
        departments=settings.departments,
        dots_per_participant=settings.dots_per_participant,
        anonymity=Anonymity(settings.anonymity or Anonymity.NAMED),
        words_per_clause=settings.words_per_clause,
        words_total=settings.words_total,
        amendment_method=settings.amendment_method,
        language=settings.language,
        created_by_id=actor.id,
        lead_user_id=actor.id,
        values=[OrgValue(position=i, name=name) for i, name in enumerate(settings.values)],
        staff=[WorkshopStaff(user_id=actor.id, role=StaffRole.FACILITATOR)],
    )
    if settings.max_participants is not None:
        workshop.max_participants = settings.max_participants
    db.session.add(workshop)
    db.session.flush()
    return workshop


def update_workshop(actor: User, workshop_id: int, settings: WorkshopSettings) -> Workshop:
    """Change a workshop's settings; everyone's screen follows."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    settings = _validated(settings)
    with workshop_change(workshop.id) as change:
        workshop.title = settings.title
        workshop.organisation = settings.organisation
        workshop.brief_md = settings.brief_md
        workshop.levels = settings.levels
        # Set to a language before anybody picked a level: the untouched defaults follow it.
        newly_set = settings.language and settings.language != workshop.language
        if newly_set and not participant_count(workshop.id):
            workshop.levels = in_language(settings.levels, settings.language, SUPPORTED_LANGUAGES)
        workshop.departments = settings.departments
        workshop.dots_per_participant = settings.dots_per_participant
        workshop.words_per_clause = settings.words_per_clause
        workshop.words_total = settings.words_total
        # For amendments from now on.
        workshop.amendment_method = voting.AmendmentMethod(settings.amendment_method)
        workshop.language = settings.language
        if settings.max_participants is not None:  # lower than who joined: nobody new
            workshop.max_participants = settings.max_participants
        if settings.anonymity is not None and settings.anonymity != workshop.anonymity:
            if has_contributions(workshop.id):
                raise InvalidState(
                    _(
                        "People have written or voted under the current anonymity setting; "
                        "it cannot change now (a round can still be made more anonymous)."
                    ),
                    code="anonymity_fixed",
                    field="anonymity",
                )
            workshop.anonymity = Anonymity(settings.anonymity)
        _replace_values(workshop, settings.values)
        db.session.flush()
        events.workshop_updated(change, workshop)
        events.wording_changed(change, workshop)  # the draft's budget follows the settings
    return workshop


def _replace_values(workshop: Workshop, names: list[str]) -> None:
    """Keep existing value rows (and their ids) where the name survives."""
    existing = {v.name.lower(): v for v in workshop.values}
    kept: list[OrgValue] = []
    for position, name in enumerate(names):
        value = existing.pop(name.lower(), None) or OrgValue(name=name)
        value.name = name
        value.position = position
        kept.append(value)
    workshop.values = kept


def add_staff(actor: User, workshop_id: int, email: str, role: StaffRole | str) -> WorkshopStaff:
    """Give an existing account a facilitator or leadership role in this workshop."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    role, user = _staff_account(email, role)
    # Under the workshop's lock: a double-submitted form (or two facilitators adding the same
    # person) finds the first one's membership instead of inserting it a second time.
    with workshop_change(workshop.id):
        return _membership(workshop, user, role)


def _staff_account(email: str, role: StaffRole | str) -> tuple[StaffRole, User]:
    try:
        role = StaffRole(role)
    except ValueError:
        raise ValidationFailed(_("Role must be facilitator or leadership."), field="role") from None
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active:
        raise NotFound(_("No active account has that email. Create it first."), field="email")
    if role == StaffRole.FACILITATOR and not permissions.can_create_workshop(user):
        raise ValidationFailed(_("Leadership accounts can only follow a workshop."), field="role")
    return role, user


def _membership(workshop: Workshop, user: User, role: StaffRole) -> WorkshopStaff:
    """``user``'s role in ``workshop``, made or changed (in the caller's change)."""
    member = db.session.get(WorkshopStaff, (workshop.id, user.id))
    if member is None:
        member = WorkshopStaff(workshop_id=workshop.id, user_id=user.id, role=role)
        db.session.add(member)
    else:
        member.role = role
    return member


def hand_over(actor: User, workshop_id: int, email: str) -> Workshop:
    """Make another facilitator the lead (added as co-facilitator if needed), in one change:
    a crash part-way leaves the lead where it was and nobody added."""
    workshop = workshop_for_staff(actor, workshop_id, moderate=True)
    role, user = _staff_account(email, StaffRole.FACILITATOR)
    with workshop_change(workshop.id) as change:
        member = _membership(workshop, user, role)
        workshop.lead_user_id = member.user_id
        db.session.flush()
        audit.record(
            actor,
            workshop.id,
            AuditAction.WORKSHOP_HANDOVER,
            audit.N_("Handed over to %(name)s"),
            name=user.display_name,
        )
        events.workshop_updated(change, workshop)
    return workshop
