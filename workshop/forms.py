"""HTML forms: CSRF protection and field rendering. Domain rules live in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Your current password"), validators=[DataRequired()])
    password = PasswordField(
        _l("New password (at least 10 characters)"), validators=[DataRequired(), Length(min=10)]
    )


class SetupForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(
        _l("Password (at least 10 characters)"), validators=[DataRequired(), Length(min=10)]
    )


class WorkshopForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    organisation = StringField(_l("Organisation"), validators=[DataRequired(), Length(max=200)])
    brief_md = TextAreaField(
        _l("Brief: why are we rewriting the mission? (Markdown)"), validators=[Length(max=20000)]
    )
    values = TextAreaField(_l("The organisation's current values, one per line"))
    levels = TextAreaField(_l("Organisational levels participants pick from, one per line"))
    departments = TextAreaField(_l("Departments, one per line (leave empty to let people skip)"))
    words_per_clause = IntegerField(
        _l("Length budget: words per clause, empty for none"),
        validators=[Optional(), NumberRange(min=1, max=5000)],
    )
    words_total = IntegerField(
        _l("Length budget: words in total, empty for none"),
        validators=[Optional(), NumberRange(min=1, max=5000)],
    )
    dots_per_participant = IntegerField(
        _l("Dots per person when voting"), default=3, validators=[NumberRange(min=1, max=20)]
    )
    max_participants = IntegerField(
        _l("Most people who may join"),
        description=_l(
            "Nobody new gets in after that many (people who joined can always come back): "
            "a guard against made-up participants."
        ),
        default=500,
        validators=[Optional(), NumberRange(min=1, max=10_000)],
    )
    anonymity = RadioField(
        _l("Who can see who wrote and voted what"),
        choices=[
            SelectChoice("named", _l("Named: everyone sees who wrote each proposal")),
            SelectChoice(
                "peers",
                _l("Anonymous to peers: staff see authors, participants do not"),
            ),
            SelectChoice(
                "full",
                _l("Fully anonymous: nobody can link anything to anyone, even from the database"),
            ),
        ],
        default="named",
    )
    amendment_method = SelectField(
        _l("How people vote on suggested changes (amendments)"),
        choices=[
            SelectChoice("consent", _l("Consent: agree, can live with it, or object")),
            SelectChoice("approval", _l("Approval: yes or no")),
            SelectChoice("score", _l("Score: 1 to 5")),
        ],
        default="consent",
    )
    language = SelectField(
        _l("Language of the workshop's screens"),
        description=_l("For everyone who has not chosen a language of their own."),
        choices=[
            SelectChoice("", _l("Each person's browser decides")),
            SelectChoice("en", "English"),
            SelectChoice("nl", "Nederlands"),
        ],
        default="",
    )


class StaffForm(FlaskForm):
    email = EmailField(_l("Account email"), validators=[DataRequired()])
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("leadership", _l("Leadership (follow and export)")),
            SelectChoice("facilitator", _l("Co-facilitator")),
        ],
    )


class InviteForm(FlaskForm):
    email = EmailField(_l("Their email"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("leadership", _l("Leadership (follow and export)")),
            SelectChoice("facilitator", _l("Co-facilitator")),
        ],
    )


class AcceptInviteForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(
        _l("Password (at least 10 characters)"), validators=[DataRequired(), Length(min=10)]
    )


class CatalogueForm(FlaskForm):
    added = TextAreaField(_l("Our own values, one per line"))


class JoinCodeForm(FlaskForm):
    code = StringField(_l("Join code"), validators=[DataRequired(), Length(max=20)])


class JoinForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=60)])
    level = SelectField(_l("Your level"), validators=[DataRequired()])
    department = SelectField(_l("Your department"), validators=[Optional()], validate_choice=False)
    join_key = HiddenField()


class DocumentForm(FlaskForm):
    based_on = HiddenField()
    body_md = TextAreaField(
        _l("Mission text (Markdown)"),
        description=_l("The whole text at once: a line starting with ## begins a clause."),
        validators=[DataRequired()],
        render_kw={"rows": 14},
    )
    note = StringField(_l("What changed (optional)"), validators=[Length(max=500)])


class DraftFromProposalsForm(FlaskForm):
    based_on = HiddenField()
    note = StringField(_l("Note (optional)"), validators=[Length(max=500)])


class TemplateForm(FlaskForm):
    headings = TextAreaField(
        _l("Clause headings, one per line"),
        validators=[DataRequired(), Length(max=4000)],
        render_kw={"rows": 6},
    )


class PasteForm(FlaskForm):
    based_on = HiddenField()
    text = TextAreaField(
        _l("The whole mission text"),
        description=_l(
            "Split by its headings if it has them, otherwise by paragraphs, otherwise by sentences."
        ),
        validators=[DataRequired(), Length(max=20000)],
        render_kw={"rows": 8},
    )


def choices(options: list[str], placeholder: str) -> list[SelectChoice]:
    """Select options from plain strings, after an empty "choose" option."""
    return [SelectChoice("", placeholder)] + [SelectChoice(option) for option in options]


def lines(text: str | None) -> list[str]:
    """A textarea of one item per line, as a list."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
