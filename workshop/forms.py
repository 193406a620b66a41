"""HTML forms: CSRF protection and field rendering. Domain rules live in services."""

from __future__ import annotations

from functools import cache
from typing import Any

from babel.support import NullTranslations, Translations
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, Length, NumberRange, Optional


@cache
def wtforms_catalogue(language: str) -> NullTranslations:
    """WTForms' own messages ("This field is required.") in one language, read from its
    catalogue once per language for the life of the process."""
    return Translations.load(messages_path(), [language], domain="wtforms")


class Form(FlaskForm):
    """Every form of the app: Flask-WTF's CSRF, with WTForms' own messages in the person's
    language from a catalogue read once per language. Flask-WTF reads that catalogue from disk
    again for every request that builds a form: a few per cent of a join's CPU when a room of
    hundreds joins at once."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> NullTranslations:
            return wtforms_catalogue(str(get_locale() or "en"))


def fields_in_error(form: FlaskForm) -> list[Field]:
    """The fields a person filled in that were refused, in the form's order (the hidden CSRF
    field is not one: its refusal is not something they typed)."""
    return [f for f in form if f.errors and getattr(f.widget, "input_type", None) != "hidden"]


def first_in_error(field: Field) -> bool:
    """The field is the first refused one of its form: it takes the focus when the page comes
    back, so a keyboard or screen-reader user starts where the problem is."""
    form = getattr(field, "_form", None)  # WTForms binds each field to its form
    if not field.errors:
        return False
    return form is None or next(iter(fields_in_error(form)), None) is field


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class PasswordForm(Form):
    current = PasswordField(_l("Your current password"), validators=[DataRequired()])
    password = PasswordField(
        _l("New password (at least 10 characters)"), validators=[DataRequired(), Length(min=10)]
    )


class SetupForm(Form):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired()])
    password = PasswordField(
        _l("Password (at least 10 characters)"), validators=[DataRequired(), Length(min=10)]
    )


class WorkshopForm(Form):
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


class StaffForm(Form):
    email = EmailField(_l("Account email"), validators=[DataRequired()])
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("leadership", _l("Leadership (follow and export)")),
            SelectChoice("facilitator", _l("Co-facilitator")),
        ],
    )


class InviteForm(Form):
    email = EmailField(_l("Their email"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(
        _l("Role"),
        choices=[
            SelectChoice("leadership", _l("Leadership (follow and export)")),
            SelectChoice("facilitator", _l("Co-facilitator")),
        ],
    )


class AcceptInviteForm(Form):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(
        _l("Password (at least 10 characters)"), validators=[DataRequired(), Length(min=10)]
    )


class CatalogueForm(Form):
    added = TextAreaField(_l("Our own values, one per line"))


class JoinCodeForm(Form):
    code = StringField(_l("Join code"), validators=[DataRequired(), Length(max=20)])


class JoinForm(Form):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=60)])
    level = SelectField(_l("Your level"), validators=[DataRequired()])
    department = SelectField(_l("Your department"), validators=[Optional()], validate_choice=False)
    join_key = HiddenField()


class DocumentForm(Form):
    based_on = HiddenField()
    body_md = TextAreaField(
        _l("Mission text (Markdown)"),
        description=_l("The whole text at once: a line starting with ## begins a clause."),
        validators=[DataRequired()],
        render_kw={"rows": 14},
    )
    note = StringField(_l("What changed (optional)"), validators=[Length(max=500)])


class DraftFromProposalsForm(Form):
    # Ids of their own: the draft's page also holds the editor's based_on and note.
    based_on = HiddenField(id="draft-based-on")
    note = StringField(_l("Note (optional)"), validators=[Length(max=500)], id="draft-note")


class TemplateForm(Form):
    headings = TextAreaField(
        _l("Clause headings, one per line"),
        # No length here: the service counts them (a browser's limit would cut a paste short
        # without a word, and counts a line break as one character where it sends two).
        validators=[DataRequired()],
        render_kw={"rows": 6},
    )


class PasteForm(Form):
    based_on = HiddenField(id="paste-based-on")
    text = TextAreaField(
        _l("The whole mission text"),
        description=_l(
            "Split by its headings if it has them, otherwise by paragraphs, otherwise by sentences."
        ),
        # No length here: the service measures the text once its line breaks are one
        # character (a browser sends two, so a mission that fitted the box was refused as
        # "empty" and lost), and says the limit when it is over.
        validators=[DataRequired()],
        render_kw={"rows": 8},
    )


def choices(options: list[str], placeholder: str) -> list[SelectChoice]:
    """Select options from plain strings, after an empty "choose" option."""
    return [SelectChoice("", placeholder)] + [SelectChoice(option) for option in options]


def lines(text: str | None) -> list[str]:
    """A textarea of one item per line, as a list."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
