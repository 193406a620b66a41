"""The groups a mission can speak to, as people read them, and the two it must not leave out.

Apart from the service that tags clauses with them (services/stakeholders.py), because the
audit log names them too, and that service records through the audit log.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import Stakeholder

LABELS = {
    Stakeholder.CLIENTS: _l("Clients"),
    Stakeholder.COLLEAGUES: _l("Colleagues"),
    Stakeholder.COMMUNITY: _l("Community"),
    Stakeholder.OWNERS: _l("Owners or funders"),
    Stakeholder.PARTNERS: _l("Partners"),
}
# A mission that speaks to neither of these leaves people out.
MUST_HAVE = (Stakeholder.COLLEAGUES, Stakeholder.CLIENTS)
