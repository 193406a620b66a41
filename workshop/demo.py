"""A small demo workshop, for trying the app and for screenshots."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from .extensions import db
from .models import User, UserRole, Workshop
from .services import accounts, agenda, participants, proposals, rounds, workshops

DEMO_BRIEF = """Our mission was written for our clients. This morning we rewrite it **together**,
so that everyone who works here can see themselves in it.

1. Propose wording. 2. Spread your dots. 3. We draft the text from what wins."""


def seed(email: str) -> tuple[Workshop, str | None]:
    """Create the demo workshop; returns it and a new facilitator's password, if one was made."""
    password = None
    user = db.session.scalar(sa.select(User).where(User.email == accounts.normalise_email(email)))
    if user is None:
        password = secrets.token_urlsafe(12)
        user = accounts.create_user(
            email=email,
            display_name="Demo Facilitator",
            password=password,
            role=UserRole.FACILITATOR,
        )
    workshop = workshops.create_workshop(
        user,
        workshops.WorkshopSettings(
            title="Rewriting our mission",
            organisation="Harbour Health",
            brief_md=DEMO_BRIEF,
            values=["Care", "Integrity", "Curiosity", "Teamwork"],
            departments=["Care", "IT", "Finance", "People", "Operations"],
        ),
    )
    planned = agenda.apply_template(user, workshop.id)
    first_propose = next(r for r in planned if r.kind == "propose")
    rounds.start_round(user, first_propose.id)
    for name, level, dept, text in [
        ("Amira", "Frontline", "Care", "We help every patient feel *known*, not processed."),
        (
            "Joost",
            "Team lead",
            "IT",
            "We make care simple for patients and for the people giving it.",
        ),
        (
            "Li",
            "Executive",
            "Finance",
            "We serve our region with care that is safe, kind and sustainable.",
        ),
    ]:
        person = participants.join_workshop(
            workshop.join_code, display_name=name, level=level, department=dept
        )
        proposals.submit_proposal(person, workshop.id, text)
    return workshop, password
