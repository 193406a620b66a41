"""Facilitator and leadership pages: workshops, the console, the document, exports."""

from __future__ import annotations

import io

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from .. import audiences, exports, provenance, queries
from ..catalogue import load_catalogue
from ..diffs import diff_texts
from ..errors import Conflict, DomainError, ValidationFailed
from ..exports import pack
from ..forms import (
    CatalogueForm,
    DocumentForm,
    DraftFromProposalsForm,
    Form,
    PasteForm,
    StaffForm,
    TemplateForm,
    WorkshopForm,
    lines,
)
from ..guards import workshop_for_staff
from ..join_codes import format_join_code
from ..levels import default_levels
from ..models import Audience, DocumentVersion, Proposal, StaffRole, User, Workshop
from ..permissions import can_create_workshop, can_moderate, staff_role
from ..services import (
    agenda,
    audit,
    editing,
    final,
    participants,
    representation,
    values,
    versions,
    winners,
    workshops,
)
from ..services.workshops import WorkshopSettings
from ..vocabulary import highlight
from .shared import error_on_form, form_number, live_page, staff_member

bp = Blueprint("staff", __name__, url_prefix="/workshops")


def join_url(workshop: Workshop) -> str:
    """The link participants open; PUBLIC_URL wins when the app sits behind a proxy."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + url_for("participant.join", code=workshop.join_code)


@bp.app_context_processor
def _template_helpers() -> dict[str, object]:
    return {
        "format_join_code": format_join_code,
        "can_moderate": can_moderate,
        "version_author": audiences.version_author,
        "source_label": audiences.source_label,
    }


@bp.get("/")
@login_required
def dashboard():
    me = staff_member()
    mine = queries.list_workshops_for(me)
    counts = {w.id: queries.participant_count(w.id) for w in mine}
    return render_template(
        "staff/dashboard.html", workshops=mine, counts=counts, can_create=can_create_workshop(me)
    )


def _settings_from(form: WorkshopForm) -> WorkshopSettings:
    return WorkshopSettings(
        title=form.title.data or "",
        organisation=form.organisation.data or "",
        brief_md=form.brief_md.data or "",
        values=lines(form.values.data),
        levels=lines(form.levels.data),
        departments=lines(form.departments.data),
        dots_per_participant=form.dots_per_participant.data or 0,
        words_per_clause=form.words_per_clause.data,
        words_total=form.words_total.data,
        amendment_method=form.amendment_method.data or "consent",
        anonymity=form.anonymity.data if form.anonymity.data else None,
        language=form.language.data or "",
        # Not sent (a form from before the field existed, a script): keep the workshop's.
        max_participants=form.max_participants.data if form.max_participants.raw_data else None,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    me = staff_member()
    if not can_create_workshop(me):
        abort(403)
    form = WorkshopForm()
    if request.method == "GET":
        form.levels.data = "\n".join(default_levels())  # in the facilitator's language
    if form.validate_on_submit():
        try:
            workshop = workshops.create_workshop(me, _settings_from(form))
        except DomainError as error:
            error_on_form(form, error, "title")
        else:
            flash(_("Workshop created. Share the code or the QR code to let people in."))
            return redirect(url_for("staff.console", workshop_id=workshop.id))
    return render_template("staff/workshop_form.html", form=form, workshop=None)


@bp.route("/<int:workshop_id>/edit", methods=["GET", "POST"])
@login_required
def edit(workshop_id: int):
    me = staff_member()
    workshop = workshop_for_staff(me, workshop_id, moderate=True)
    form = WorkshopForm(obj=workshop if request.method == "GET" else None)
    anonymity_fixed = queries.has_contributions(workshop.id)
    if anonymity_fixed:  # shown, not sent: a save never changes (or resets) it
        form.anonymity.render_kw = {"disabled": True}
        form.anonymity.data = str(workshop.anonymity)
    if request.method == "GET":
        form.values.data = "\n".join(v.name for v in workshop.values)
        form.levels.data = "\n".join(workshop.levels)
        form.departments.data = "\n".join(workshop.departments)
    if form.validate_on_submit():
        settings = _settings_from(form)
        if anonymity_fixed:
            settings.anonymity = None
        try:
            workshops.update_workshop(me, workshop.id, settings)
        except DomainError as error:
            error_on_form(form, error, "title")
        else:
            flash(_("Settings saved."))
            return redirect(url_for("staff.console", workshop_id=workshop.id))
    return render_template(
        "staff/workshop_form.html", form=form, workshop=workshop, anonymity_fixed=anonymity_fixed
    )


@bp.get("/<int:workshop_id>")
@login_required
def console(workshop_id: int):
    """The facilitator's console, or leadership's read-only view of the same room."""
    me = staff_member()
    workshop = workshop_for_staff(me, workshop_id, moderate=False)
    return live_page(
        "staff/console.html",
        workshop,
        me,
        join_url=join_url(workshop),
        moderator=can_moderate(me, workshop),
        staff_form=StaffForm(),
        catalogue=audiences.grouped_catalogue(workshop, str(get_locale() or "en")),
        # In the page from the start, so the card has its final height when it is drawn (a
        # list filled after loading pushed its "Show these on the projector" button down
        # under a facilitator's cursor); static/js/notices.js keeps it up to date.
        notices=representation.notices(me, workshop.id),
    )


@bp.post("/<int:workshop_id>/staff")
@login_required
def add_staff(workshop_id: int):
    me = staff_member()
    form = StaffForm()
    if form.validate_on_submit():
        try:
            if request.form.get("action") == "handover":
                workshop = workshops.hand_over(me, workshop_id, form.email.data)
                flash(_("The lead is handed over. You can still help facilitate."))
                return redirect(url_for("staff.console", workshop_id=workshop.id))
            member = workshops.add_staff(me, workshop_id, form.email.data, form.role.data)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("%(name)s can now open this workshop.", name=member.user.display_name))
    return redirect(url_for("staff.console", workshop_id=workshop_id))


@bp.get("/<int:workshop_id>/projector")
@login_required
def projector(workshop_id: int):
    """The room's big screen: code, QR, round, timer, counts and revealed results. No controls."""
    me = staff_member()
    workshop = workshop_for_staff(me, workshop_id, moderate=False)
    # The participants' view, as the wall's socket gets it.
    return live_page(
        "staff/projector.html", workshop, me, Audience.PROJECTOR, join_url=join_url(workshop)
    )


@bp.get("/<int:workshop_id>/audit")
@login_required
def audit_log(workshop_id: int):
    """Every facilitator action, newest first: for facilitators and leadership."""
    me = staff_member()
    workshop = workshop_for_staff(me, workshop_id, moderate=False)
    return render_template(
        "staff/audit.html",
        workshop=workshop,
        entries=audit.list_entries(me, workshop.id),
        summary_of=audit.summary_of,
    )


@bp.route("/<int:workshop_id>/values-catalogue", methods=["GET", "POST"])
@login_required
def values_catalogue(workshop_id: int):
    """Hide catalogue values that do not fit, and add the organisation's own words."""
    me = staff_member()
    workshop = workshop_for_staff(me, workshop_id, moderate=True)
    form = CatalogueForm()
    if form.validate_on_submit():
        try:
            values.edit_catalogue(
                me,
                workshop.id,
                hidden=request.form.getlist("hidden"),
                added=[{"name": name} for name in lines(form.added.data)],
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("The values catalogue is saved."))
            return redirect(url_for("staff.console", workshop_id=workshop.id))
    edits = workshop.catalogue_edits or {}
    if request.method == "GET":
        form.added.data = "\n".join(item["name"] for item in edits.get("added", []))
    return render_template(
        "staff/values_catalogue.html",
        workshop=workshop,
        form=form,
        groups=load_catalogue(str(get_locale() or "en")),
        hidden=set(edits.get("hidden", [])),
    )


@bp.get("/<int:workshop_id>/qr.svg")
@login_required
def qr_code(workshop_id: int):
    """The join link as a QR code, for the projector and for printing."""
    workshop = workshop_for_staff(staff_member(), workshop_id, moderate=False)
    buffer = io.BytesIO()
    segno.make(join_url(workshop), error="m").save(
        buffer, kind="svg", scale=8, border=2, title=_("Join link QR code")
    )
    return Response(buffer.getvalue(), mimetype="image/svg+xml")


@bp.get("/<int:workshop_id>/participants")
@login_required
def participants_list(workshop_id: int):
    """Who took part and who is in the mission: names for the workshop's staff, and per level
    and department (small groups pooled) who joined, proposed, voted and whose words the draft
    and the final text hold, with each clause's agreement across levels."""
    me = staff_member()
    workshop = workshop_for_staff(me, workshop_id, moderate=False)
    picture = representation.representation(me, workshop.id)
    return render_template(
        "staff/participants.html",
        workshop=workshop,
        people=participants.who_took_part(me, workshop.id),
        picture=picture,
        spread_warnings=representation.spread_warnings(picture),
    )


@bp.route("/<int:workshop_id>/document", methods=["GET", "POST"])
@login_required
def edit_document(workshop_id: int):
    """Edit the draft: every save is a new version; a stale save is handed back, not lost."""
    me = staff_member()
    workshop = workshop_for_staff(me, workshop_id, moderate=True)
    latest = queries.latest_version(workshop.id)
    form = DocumentForm()
    conflict: Conflict | None = None
    if request.method == "GET":
        form.body_md.data = latest.body_md if latest else ""
        form.based_on.data = str(latest.number) if latest else ""
    if form.validate_on_submit():
        based_on = form_number(form.based_on.data, what="based_on")
        try:
            version = versions.save_version(
                me, workshop.id, form.body_md.data, based_on=based_on, note=form.note.data or ""
            )
        except Conflict as error:
            conflict = error
            # Rebase the form on the newest version, keeping the person's own text.
            form.based_on.data = str(error.details["latest_number"] or "")
        except DomainError as error:
            form.body_md.errors = [error.message]
        else:
            flash(_("Saved as version %(number)s.", number=version.number))
            return redirect(url_for("staff.history", workshop_id=workshop.id))
    return _document_page(me, workshop, latest, form=form, conflict=conflict)


def _document_page(
    me: User,
    workshop: Workshop,
    latest: DocumentVersion | None,
    *,
    form: DocumentForm,
    conflict: Conflict | None = None,
    paste_form: PasteForm | None = None,
    template_form: TemplateForm | None = None,
    draft_form: DraftFromProposalsForm | None = None,
    chosen: tuple[list[int], int | None] | None = None,
    draft_error: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The draft's page: the editor, what can go into it, and the paste and from-proposals
    forms (handed back as they were sent, ticks included, when one was refused). The other
    forms start afresh (``formdata=None``): Flask-WTF would fill them from the posted form,
    another form's note and stale ``based_on`` included."""
    by_round = winners.results_by_round(me, workshop.id)
    others = _proposals_of_no_vote(workshop.id, by_round)
    return render_template(
        "staff/document.html",
        workshop=workshop,
        latest=latest,
        form=form,
        conflict=conflict,
        conflict_diff=diff_texts(
            str(conflict.details["latest_body"]), str(conflict.details["your_body"])
        )
        if conflict
        else None,
        by_round=by_round,
        others=others,
        draft_form=draft_form
        or DraftFromProposalsForm(formdata=None, based_on=str(latest.number) if latest else ""),
        ticked=chosen[0] if chosen else None,
        chosen_clause=chosen[1] if chosen else None,
        draft_error=draft_error,
        wording=audiences.document_payload(workshop, latest, staff=True) if latest else None,
        marked=highlight(latest.body_md, queries.approved_and_vetoed(workshop.id))
        if latest
        else [],
        vocabulary_form=Form(formdata=None),  # its token only
        template_form=template_form
        or TemplateForm(
            formdata=None, headings="\n".join(h["heading"] for h in editing.template_headings())
        ),
        paste_form=paste_form
        or PasteForm(formdata=None, based_on=str(latest.number) if latest else ""),
        clauses=audiences.clauses_payload(latest) if latest else [],
        hints={h["heading"]: h["hint"] for h in editing.template_headings()},
    ), status


def _editor_on(latest: DocumentVersion | None) -> DocumentForm:
    """The editor as it opens on the newest version, for a page handed back after another of
    its forms was refused (not filled from that form's fields: its note, its stale based_on)."""
    return DocumentForm(
        formdata=None,
        body_md=latest.body_md if latest else "",
        based_on=str(latest.number) if latest else "",
    )


@bp.post("/<int:workshop_id>/document/template")
@login_required
def document_from_template(workshop_id: int):
    """Start the document from the (edited) default template: one empty clause per heading."""
    me = staff_member()
    form = TemplateForm()
    try:
        if not form.validate_on_submit():
            raise ValidationFailed(
                _("Give the document at least one clause heading."), field="headings"
            )
        version = editing.start_from_template(
            me, workshop_id, (form.headings.data or "").splitlines()
        )
    except DomainError as error:
        # The page again, the headings as they were typed and why they were refused (once a
        # draft exists the page has no template form: it says why on top).
        workshop = workshop_for_staff(me, workshop_id, moderate=True)
        latest = queries.latest_version(workshop.id)
        if latest is not None:
            flash(error.message, "error")
            return redirect(url_for("staff.edit_document", workshop_id=workshop_id))
        form.headings.errors = [error.message]
        return _document_page(
            me, workshop, latest, form=_editor_on(latest), template_form=form, status=error.status
        )
    flash(_("Version %(number)s started from the template.", number=version.number))
    return redirect(url_for("staff.edit_document", workshop_id=workshop_id))


@bp.post("/<int:workshop_id>/document/paste")
@login_required
def paste_document(workshop_id: int):
    """Paste a whole existing mission and have it split into clauses."""
    me = staff_member()
    form = PasteForm()
    based_on = form_number(form.based_on.data, what="based_on")
    try:
        if not form.validate_on_submit():
            raise ValidationFailed(_("Paste the mission text first."), field="text")
        version = editing.paste_document(me, workshop_id, form.text.data or "", based_on=based_on)
    except DomainError as error:
        # Refused (the draft changed meanwhile, or the text does not split): the page again,
        # the pasted text still in its form, based on the newest version for a second try.
        workshop = workshop_for_staff(me, workshop_id, moderate=True)
        latest = queries.latest_version(workshop.id)
        form.text.errors = [error.message]
        form.based_on.data = str(latest.number) if latest else ""
        return _document_page(
            me, workshop, latest, form=_editor_on(latest), paste_form=form, status=error.status
        )
    flash(
        _(
            "Version %(number)s: the text is split into %(n)s clauses.",
            number=version.number,
            n=len(queries.clauses_of(version)),
        )
    )
    return redirect(url_for("staff.edit_document", workshop_id=workshop_id))


@bp.post("/<int:workshop_id>/vocabulary-round")
@login_required
def vocabulary_round(workshop_id: int):
    """Put the values the draft misses to the room as candidate words."""
    me = staff_member()
    workshop = workshop_for_staff(me, workshop_id, moderate=True)
    if not Form().validate_on_submit():
        abort(400)
    words = [{"word": word, "category": "what"} for word in request.form.getlist("words")]
    try:
        agenda.add_round(
            me,
            workshop.id,
            agenda.RoundSettings(
                kind="vocabulary",
                prompt=_("Which of these words belong in our mission?"),
                duration_seconds=5 * 60,
                words=words,
            ),
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("staff.edit_document", workshop_id=workshop.id))
    flash(_("A vocabulary round is on the agenda. Sort the words and start it from the console."))
    return redirect(url_for("staff.console", workshop_id=workshop.id))


def _proposals_of_no_vote(workshop_id: int, by_round: list[dict]) -> list[Proposal]:
    """Visible proposals that no vote round has on its ballot (still worth drafting from)."""
    listed = {p.id for entry in by_round for p, _place in entry["proposals"]}
    return [
        p for p in queries.list_proposals(workshop_id, include_hidden=False) if p.id not in listed
    ]


@bp.post("/<int:workshop_id>/document/from-proposals")
@login_required
def draft_from_proposals(workshop_id: int):
    me = staff_member()
    form = DraftFromProposalsForm()
    if not form.validate_on_submit():
        abort(400)
    chosen = [form_number(pid, what="proposal_ids") for pid in request.form.getlist("proposal_ids")]
    based_on = form_number(form.based_on.data, what="based_on")
    clause_key = form_number(request.form.get("clause_key"), what="clause_key")
    try:
        if clause_key is not None:
            version = editing.fill_clause_from_proposals(
                me, workshop_id, clause_key, [c for c in chosen if c], note=form.note.data or ""
            )
        else:
            version = versions.start_draft_from_proposals(
                me,
                workshop_id,
                [c for c in chosen if c],
                based_on=based_on,
                note=form.note.data or "",
            )
    except DomainError as error:
        # Refused (the draft moved on, a proposal went, the document is locked): the page
        # again with the same ticks, place and note, based on the newest version.
        workshop = workshop_for_staff(me, workshop_id, moderate=True)
        latest = queries.latest_version(workshop.id)
        form.based_on.data = str(latest.number) if latest else ""
        return _document_page(
            me,
            workshop,
            latest,
            form=_editor_on(latest),
            draft_form=form,
            draft_error=_(
                "Version %(number)s was saved meanwhile: the proposals you ticked are kept "
                "below. Look at it, then make them the next version again.",
                number=error.details["latest_number"],
            )
            if isinstance(error, Conflict)
            else error.message,
            chosen=([c for c in chosen if c], clause_key),
            status=error.status,
        )
    flash(_("Draft version %(number)s started from the chosen proposals.", number=version.number))
    return redirect(url_for("staff.edit_document", workshop_id=workshop_id))


@bp.get("/<int:workshop_id>/document/versions")
@login_required
def history(workshop_id: int):
    me = staff_member()
    workshop = workshop_for_staff(me, workshop_id, moderate=False)
    return render_template(
        "staff/history.html", workshop=workshop, versions=versions.list_versions(me, workshop.id)
    )


@bp.get("/<int:workshop_id>/document/versions/<int:number>")
@login_required
def version(workshop_id: int, number: int):
    me = staff_member()
    workshop = workshop_for_staff(me, workshop_id, moderate=False)
    latest = queries.latest_version(workshop.id)
    shown = versions.get_version(me, workshop.id, number)
    return render_template(
        "staff/version.html",
        workshop=workshop,
        version=shown,
        latest=latest,
        moderator=can_moderate(me, workshop),
        leadership=staff_role(me, workshop) == StaffRole.LEADERSHIP,
        provenance=provenance.by_sentence(me, workshop.id, number),
        # The latest: whether it may be locked. A final one: the answers it was locked on,
        # which is what leadership signs.
        readiness=final.readiness(workshop, shown)
        if shown.final_at is not None or (latest and latest.number == number)
        else None,
        me=me,
        action_form=Form(),
    )


@bp.get("/<int:workshop_id>/document/diff")
@login_required
def diff(workshop_id: int):
    me = staff_member()
    workshop = workshop_for_staff(me, workshop_id, moderate=False)
    old = form_number(request.args.get("from"), what="from")
    new = form_number(request.args.get("to"), what="to")
    if old is None or new is None:
        abort(400, description=_("Choose two versions to compare."))
    return render_template(
        "staff/diff.html",
        workshop=workshop,
        old=versions.get_version(me, workshop.id, old),
        new=versions.get_version(me, workshop.id, new),
        clauses=versions.clause_differences(me, workshop.id, old, new),
        versions=versions.list_versions(me, workshop.id),
    )


@bp.get("/<int:workshop_id>/document/versions/<int:number>/sign-off-pack.zip")
@login_required
def signoff_pack(workshop_id: int, number: int):
    """Everything leadership needs to sign a version off, in one ZIP."""
    result = pack.signoff_pack(staff_member(), workshop_id, number)
    return Response(
        result.content,
        mimetype=result.mimetype,
        headers={"Content-Disposition": f'attachment; filename="{result.filename}"'},
    )


@bp.get("/<int:workshop_id>/document/versions/<int:number>/export.<fmt>")
@login_required
def export(workshop_id: int, number: int, fmt: str):
    result = exports.export_version(staff_member(), workshop_id, number, fmt)
    return Response(
        result.content,
        mimetype=result.mimetype,
        headers={"Content-Disposition": f'attachment; filename="{result.filename}"'},
    )
