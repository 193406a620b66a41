"""The values heatmap as a picture: who may see it, when, and for which groups."""

import re
from xml.etree import ElementTree

from tests.conftest import PASSWORD, make_user, make_workshop
from tests.services.test_values import PEOPLE
from workshop import catalogue, exports, queries
from workshop.extensions import db
from workshop.models import RoundKind, User
from workshop.services import agenda, participants, rounds, versions, votes
from workshop.services.agenda import RoundSettings


def setup_round(app):
    with app.app_context():
        owner = make_user("fran@example.org")
        workshop = make_workshop(
            owner, values=["Care", "Integrity", "Curiosity"], departments=["Care", "IT", "Finance"]
        )
        round_ = agenda.add_round(owner, workshop.id, RoundSettings(RoundKind.VALUES, "", 600))
        rounds.start_round(owner, round_.id)
        org = {v.name: str(v.id) for v in workshop.values}
        for name, level, department, picks, culture in PEOPLE:
            person = participants.join_workshop(
                workshop.join_code, display_name=name, level=level, department=department
            )
            votes.cast_ballot(
                person,
                workshop.id,
                {
                    "picks": [
                        {
                            **({"custom": v[7:]} if v.startswith("custom:") else {"value": v}),
                            "maps_to": org[m] if m else "none",
                            "lived": n,
                        }
                        for v, m, n in picks
                    ],
                    **culture,
                },
            )
        return workshop.id, workshop.join_code, round_.id


def test_the_heatmap_is_a_picture_only_after_the_reveal_and_never_for_small_groups(app, client):
    workshop_id, code, round_id = setup_round(app)
    url = f"/w/{workshop_id}/rounds/{round_id}/heatmap.svg"
    assert client.get(url).status_code == 401  # nobody we know
    client.post(
        f"/j/{code}", data={"display_name": "Viewer", "level": "Manager", "department": "IT"}
    )
    assert client.get(url).status_code == 403  # blind until the reveal
    with app.app_context():
        votes.reveal_round(db.session.get(User, 1), round_id)
    picture = client.get(url)
    assert picture.mimetype == "image/svg+xml"
    svg = ElementTree.fromstring(picture.data)
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "Integrity" in texts and "Not represented here" in texts and "3" in texts
    # Two levels, one under five: neither is shown (the other would give it away).
    frontline = client.get(url + "?level=Frontline").data.decode()
    assert "Fewer than 5 people" in frontline
    executive = client.get(url + "?level=Executive").data.decode()
    assert "Fewer than 5 people" in executive and "Integrity" not in executive
    for department in ("IT", "Care", "Finance"):
        assert "Fewer than 5 people" in client.get(url + f"?department={department}").data.decode()


def test_staff_of_another_workshop_cannot_see_the_heatmap(app, client):
    workshop_id, _, round_id = setup_round(app)
    with app.app_context():
        make_user("other@example.org")
    client.post("/login", data={"email": "other@example.org", "password": PASSWORD})
    assert client.get(f"/w/{workshop_id}/rounds/{round_id}/heatmap.svg").status_code == 404


def test_a_participant_who_is_also_logged_in_as_staff_elsewhere_still_sees_it(app, client):
    """The browser's staff login came first even when its account had nothing to do with
    this workshop, so the participant's own room lost its picture (found by an audit)."""
    workshop_id, code, round_id = setup_round(app)
    url = f"/w/{workshop_id}/rounds/{round_id}/heatmap.svg"
    with app.app_context():
        votes.reveal_round(db.session.get(User, 1), round_id)
        make_user("other@example.org")
    joined = {"display_name": "Viewer", "level": "Manager", "department": "IT"}
    assert client.post(f"/j/{code}", data=joined).status_code == 302
    assert client.get(url).status_code == 200
    client.post("/login", data={"email": "other@example.org", "password": PASSWORD})
    assert client.get(f"/w/{workshop_id}").status_code == 200  # the room still knows her
    assert client.get(url).status_code == 200


def test_the_facilitator_edits_the_catalogue_on_a_page(app, client):
    workshop_id, _, _ = setup_round(app)
    client.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    page = client.get(f"/workshops/{workshop_id}/values-catalogue")
    assert b"Hide Craftsmanship" in page.data
    response = client.post(
        f"/workshops/{workshop_id}/values-catalogue",
        data={"hidden": ["humour", "fun"], "added": "Neighbourliness\n"},
    )
    assert response.status_code == 302
    with app.app_context():
        keys = {v.key for v in catalogue.workshop_catalogue(queries.get_workshop(workshop_id))}
    assert "humour" not in keys and "fun" not in keys and "own:neighbourliness" in keys


def test_exports_carry_the_values_appendix_once_revealed_without_small_groups(app):
    workshop_id, _, round_id = setup_round(app)
    with app.app_context():
        owner = db.session.get(User, 1)
        versions.save_version(owner, workshop_id, "We serve with care.", based_on=None)
        hidden = exports.export_version(owner, workshop_id, 1, "html").content
        assert "Appendix: our values" not in hidden  # blind round, not revealed
        votes.reveal_round(owner, round_id)
        html = exports.export_version(owner, workshop_id, 1, "html").content
        markdown = exports.export_version(owner, workshop_id, 1, "md").content
    assert "Appendix: our values" in html and "<svg" in html and "Alignment: 64%" in html
    assert "| Integrity | 1 | 3 | 0 | 0 |" in markdown  # Care, Integrity, Curiosity, none
    # The lone executive's answers are nowhere on their own.
    assert "Executive" not in html and "Executive" not in markdown


def test_the_draft_editor_shows_missing_values_and_turns_them_into_a_vocabulary_round(app, client):
    workshop_id, _, round_id = setup_round(app)
    with app.app_context():
        owner = db.session.get(User, 1)
        votes.reveal_round(owner, round_id)
        versions.save_version(owner, workshop_id, "We act with integrity.", based_on=None)
    client.post("/login", data={"email": "fran@example.org", "password": PASSWORD})
    page = client.get(f"/workshops/{workshop_id}/document").data.decode()
    assert "Our shared values in this text" in page
    assert "Missing: candidate words for writers" in page and "Balance" in page
    response = client.post(
        f"/workshops/{workshop_id}/vocabulary-round", data={"words": ["Balance", "Growth"]}
    )
    assert response.status_code == 302
    with app.app_context():
        (vocabulary,) = [r for r in queries.list_rounds(workshop_id) if r.kind == "vocabulary"]
        assert [w["word"] for w in vocabulary.words] == ["Balance", "Growth"]


def test_the_heatmap_leaves_room_for_long_slanted_column_labels():
    """A Dutch label ("Hier niet vertegenwoordigd") rose above the picture's top edge and the
    last one ran off its right edge: the header and the margin now grow with the labels."""
    from workshop.charts import CHARACTER_WIDTH, LABEL_WIDTH, RISE, RUN, heatmap_svg

    long = "Hier niet vertegenwoordigd"
    results = {
        "columns": [{"id": 1, "name": "Zorg"}, {"id": "none", "name": long}],
        "rows": [{"value": "Eerlijkheid", "counts": {1: 2, "none": 3}}],
    }
    svg = heatmap_svg(results, title="t", empty_text="e")
    width, height = (float(n) for n in re.search(r'viewBox="0 0 (\S+) (\S+)"', svg).groups())
    label = re.search(r"translate\((\d+),(\d+)\) rotate\(-35\)\"[^>]*>" + long, svg)
    x, baseline = float(label[1]), float(label[2])
    assert baseline - len(long) * CHARACTER_WIDTH * RISE >= 0  # its top inside the picture
    assert x + len(long) * CHARACTER_WIDTH * RUN <= width  # its end inside too
    assert x > LABEL_WIDTH and height > baseline
