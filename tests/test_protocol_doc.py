"""docs/protocol.md (and docs/voting.md) against the code, so the documents stay exactly true.

The names a client relies on are read from the code, not from a list kept here: the command
registry the server fills at start-up, the error codes and event names found in the source
with :mod:`ast`, and a real snapshot. Each is compared both ways with the tables of the
document, so a name the code gains, or the document loses, fails here.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from tests.conftest import join, make_user, make_workshop
from workshop import sockets, voting
from workshop.models import Audience, StaffRole, UserRole
from workshop.services import workshops
from workshop.snapshots import build_snapshot

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "workshop"
PROTOCOL = ROOT / "docs" / "protocol.md"
VOTING = ROOT / "docs" / "voting.md"

DOTTED_NAME = re.compile(r"`([a-z]+\.[a-z_]+)`")
CODE = re.compile(r"`([a-z_]+)`")


# ---- reading the document ------------------------------------------------------------


def section(number: int) -> str:
    """One numbered section of docs/protocol.md ("## 5. Commands"), subsections included, up
    to the next one."""
    text = PROTOCOL.read_text(encoding="utf-8")
    match = re.search(rf"^## {number}\. .*?(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"docs/protocol.md has no section {number}"
    return match.group(0)


def tables(text: str) -> list[list[list[str]]]:
    """Every Markdown table of a text: rows of cells, the header row first (the separator
    row dropped). ``\\|`` inside a cell is a literal bar, not a column."""
    found: list[list[list[str]]] = []
    rows: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
                rows.append(cells)
        elif rows:
            found.append(rows)
            rows = []
    return found


def table_headed(text: str, *header: str) -> list[list[str]]:
    """The one table whose header starts with these cells."""
    matching = [t for t in tables(text) if t[0][: len(header)] == list(header)]
    assert len(matching) == 1, f"expected one table headed {header}, found {len(matching)}"
    return matching[0]


def first_column(table: list[list[str]], pattern: re.Pattern[str]) -> list[str]:
    """The backticked names in the first column of a table's rows, in order."""
    return [name for row in table[1:] for name in pattern.findall(row[0])]


def repeated(names: list[str]) -> list[str]:
    return sorted({name for name in names if names.count(name) > 1})


# ---- reading the code ----------------------------------------------------------------


@cache
def source_trees() -> tuple[tuple[Path, ast.Module], ...]:
    """Every module of the package, parsed."""
    return tuple(
        (path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        for path in sorted(PACKAGE.rglob("*.py"))
    )


def calls_in_functions(tree: ast.AST) -> Iterator[tuple[ast.AST | None, ast.Call]]:
    """Every call, with the innermost function (or lambda) around it, if any."""

    def walk(node: ast.AST, function: ast.AST | None) -> Iterator[tuple[ast.AST | None, ast.Call]]:
        for child in ast.iter_child_nodes(node):
            inner = child
            if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                inner = function
            if isinstance(child, ast.Call):
                yield function, child
            yield from walk(child, inner)

    yield from walk(tree, None)


def error_class_codes() -> tuple[dict[str, str], set[str]]:
    """The ``code = "..."`` of every DomainError class (by class name) and the names of all the
    classes in that family, found wherever they are defined in the package."""
    family = {"DomainError"}
    codes: dict[str, str] = {}
    grew = True
    while grew:
        grew = False
        for _path, tree in source_trees():
            for node in ast.walk(tree):
                if not isinstance(node, ast.ClassDef):
                    continue
                bases = {base.id for base in node.bases if isinstance(base, ast.Name)}
                if node.name not in family and bases & family:
                    family.add(node.name)
                    grew = True
                if node.name in family:
                    for statement in node.body:
                        if (
                            isinstance(statement, ast.Assign)
                            and any(
                                isinstance(t, ast.Name) and t.id == "code"
                                for t in statement.targets
                            )
                            and isinstance(statement.value, ast.Constant)
                        ):
                            codes[node.name] = statement.value.value
    return codes, family


def sendable_error_codes() -> set[str]:
    """Every code an acknowledgement (or an HTTP error) can carry, read from the source: the
    ``code`` attribute of each DomainError subclass (the base's only if it is ever raised
    itself), every literal ``code="..."`` keyword argument, and the literal first argument of
    every ``_error(...)`` the socket layer answers with."""
    class_codes, family = error_class_codes()
    codes = {code for name, code in class_codes.items() if name != "DomainError"}
    base_raised = False
    for path, tree in source_trees():
        for _function, call in calls_in_functions(tree):
            callee = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
            if callee == "DomainError":
                base_raised = True
            for keyword in call.keywords:
                if keyword.arg != "code":
                    continue
                if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                    codes.add(keyword.value.value)
                elif callee in family:
                    # An error built with a code from elsewhere: only a pass-through
                    # (``code=code``) is readable, since its callers give the literal.
                    assert isinstance(keyword.value, ast.Name), (
                        f"{path.name}:{call.lineno}: an error code this test cannot read"
                    )
            if callee == "_error":
                first = call.args[0] if call.args else None
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                    f"{path.name}:{call.lineno}: _error() without a literal code"
                )
                codes.add(first.value)
    if base_raised:
        codes.add(class_codes["DomainError"])
    return codes


def resolve_names(expression: ast.AST, function: ast.AST | None) -> set[str] | None:
    """The string values an expression can have: a literal, either branch of ``a if c else b``,
    or a local variable assigned such values in the same function. None if unknown."""
    if isinstance(expression, ast.Constant):
        if expression.value is None:
            return set()
        return {expression.value} if isinstance(expression.value, str) else None
    if isinstance(expression, ast.IfExp):
        body = resolve_names(expression.body, function)
        orelse = resolve_names(expression.orelse, function)
        return None if body is None or orelse is None else body | orelse
    if isinstance(expression, ast.Name) and function is not None:
        values: set[str] = set()
        assigned = False
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == expression.id for t in node.targets
            ):
                assigned = True
                found = resolve_names(node.value, function)
                if found is None:
                    return None
                values |= found
        return values if assigned else None
    return None


def emitted_event_names() -> set[str]:
    """Every event name the server can send: the name given to each ``.emit(...)`` (first
    argument, and ``staff_name=``) and each ``.tell(participant, name, ...)``.

    Only the publisher in realtime.py may pass a name it did not choose itself (the queued
    ``event.name``, ``event.staff_name`` and ``message.name``); anywhere else an event name
    this test cannot read fails it, so no event can slip past the document.
    """
    names: set[str] = set()
    for path, tree in source_trees():
        for function, call in calls_in_functions(tree):
            if not isinstance(call.func, ast.Attribute) or call.func.attr not in ("emit", "tell"):
                continue
            position = 1 if call.func.attr == "tell" else 0
            expressions = call.args[position : position + 1]
            expressions += [k.value for k in call.keywords if k.arg == "staff_name"]
            for expression in expressions:
                found = resolve_names(expression, function)
                if found is not None:
                    names |= found
                    continue
                forwarded = (
                    path.name == "realtime.py"
                    and isinstance(expression, ast.Attribute)
                    and expression.attr in ("name", "staff_name")
                )
                assert forwarded, f"{path.name}:{call.lineno}: an event name this test cannot read"
    return names


# ---- 1. commands -----------------------------------------------------------------------


def documented_commands() -> list[str]:
    """The commands of the tables in §5 that give each command's payload."""
    names: list[str] = []
    for table in tables(section(5)):
        if table[0][0] == "Command" and "Payload" in table[0]:
            names += first_column(table, DOTTED_NAME)
    return names


def test_every_documented_command_exists_and_every_command_is_documented(app):
    registered = set(sockets.COMMANDS)
    assert len(registered) > 30, "the app did not register its commands"
    documented = documented_commands()
    assert repeated(documented) == [], "commands documented twice in §5"
    assert sorted(set(documented) - registered) == [], "documented in §5 but not registered"
    assert sorted(registered - set(documented)) == [], "registered but not documented in §5"


def test_every_command_says_what_it_publishes(app):
    table = table_headed(section(5), "Command", "Events (in order)")
    listed = set(first_column(table, DOTTED_NAME))
    assert sorted(listed - set(sockets.COMMANDS)) == [], "§5.4 lists commands that do not exist"
    assert sorted(set(sockets.COMMANDS) - listed) == [], "§5.4 does not say what these publish"


# ---- 2. error codes --------------------------------------------------------------------


def test_every_error_code_the_server_sends_is_documented_and_no_other():
    sendable = sendable_error_codes()
    # The scan itself works: codes of each kind of source are found.
    assert {"invalid", "forbidden", "voting_closed", "rate_limited", "internal"} <= sendable
    table = table_headed(section(6), "Code", "Meaning", "Where")
    documented = first_column(table, CODE)
    assert repeated(documented) == [], "codes listed twice in §6"
    assert sorted(sendable - set(documented)) == [], "sent by the server but missing from §6"
    assert sorted(set(documented) - sendable) == [], "listed in §6 but never sent"


# ---- 3. events -------------------------------------------------------------------------


def test_every_event_the_server_emits_is_documented_and_no_other():
    emitted = emitted_event_names()
    assert {"round.tallied", "seq.skip", "state.snapshot", "ballot.mine"} <= emitted
    table = table_headed(section(7), "Event", "Audience")
    documented = first_column(table, DOTTED_NAME)
    assert repeated(documented) == [], "events listed twice in §7"
    assert sorted(emitted - set(documented)) == [], "emitted but missing from §7"
    assert sorted(set(documented) - emitted) == [], "listed in §7 but never emitted"


# ---- 4. the snapshot -------------------------------------------------------------------


def documented_snapshot_fields() -> dict[str, set[str]]:
    """The snapshot's keys for each audience, as §4's table lists them ("absent": not there)."""
    table = table_headed(section(4), "Field", "Participant", "Staff", "Projector")
    audiences = table[0][1:4]
    fields: dict[str, set[str]] = {audience: set() for audience in audiences}
    for row in table[1:]:
        for field in CODE.findall(row[0]):
            for audience, cell in zip(audiences, row[1:4], strict=True):
                if cell != "absent":
                    fields[audience].add(field)
    return fields


def test_the_snapshot_has_exactly_the_documented_fields(ctx):
    owner = make_user("fran@example.org")
    workshop = make_workshop(owner)
    amira = join(workshop)
    lead = make_user("lee@example.org", role=UserRole.LEADERSHIP)
    workshops.add_staff(owner, workshop.id, lead.email, StaffRole.LEADERSHIP)
    documented = documented_snapshot_fields()
    assert set(build_snapshot(workshop.id, amira)) == documented["Participant"]
    assert set(build_snapshot(workshop.id, owner)) == documented["Staff"]
    assert set(build_snapshot(workshop.id, lead)) == documented["Staff"]
    projector = build_snapshot(workshop.id, owner, Audience.PROJECTOR)
    assert set(projector) == documented["Projector"]


# ---- voting.md -------------------------------------------------------------------------


def test_the_winning_votes_example_in_voting_md_holds():
    """Schulze measures links in winning votes: the documented example, counted."""
    text = VOTING.read_text(encoding="utf-8")
    start = text.index("**Winning votes.**")
    example = text[start : text.index("**Ties.**", start)]
    table = table_headed(example, "Voters", "Ranking")
    letters = "ABC"  # submitted in this order, so the lowest id is A
    ballots: list[tuple[int, ...]] = []
    for count, ranking in table[1:]:
        order = tuple(letters.index(p.strip()) + 1 for p in ranking.split(">"))
        ballots += [order] * int(count)
    result = voting.schulze(ballots, [1, 2, 3])
    named = "".join(letters[c - 1] for c in result.ranking)
    assert f"ranking is **{', '.join(named)}**" in example
    assert f"Schulze picks **{letters[result.winner - 1]}**" in example
    a, b, c = 1, 2, 3
    assert (result.pairwise[b][a], result.pairwise[a][b]) == (6, 3)
    assert (result.pairwise[a][c], result.pairwise[c][a]) == (5, 4)
    assert (result.pairwise[c][b], result.pairwise[b][c]) == (4, 2)
    # The same chains measured in margins elect C, as the example says.
    assert schulze_by_margins(result.pairwise, [a, b, c]) == [c]
    assert "and C would have won" in example


def schulze_by_margins(pairwise: dict[int, dict[int, int]], ids: list[int]) -> list[int]:
    """The proposals that beat every other one when a link's strength is its margin."""
    p = {x: {y: max(pairwise[x][y] - pairwise[y][x], 0) for y in ids if y != x} for x in ids}
    for i in ids:
        for j in ids:
            for k in ids:
                if len({i, j, k}) == 3:
                    p[j][k] = max(p[j][k], min(p[j][i], p[i][k]))
    return [x for x in ids if all(p[x][y] > p[y][x] for y in ids if y != x)]
