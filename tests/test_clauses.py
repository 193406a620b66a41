"""The document as clauses: parsing, assembling, pasting, and keys that follow a clause."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workshop import clauses
from workshop.clauses import Part

TEMPLATE_DOC = (
    "## Purpose\n\nWhy we exist.\n\n"
    "## Who we serve\n\nOur clients and our colleagues.\n\n"
    "## How we work\n\nWe listen first.\nThen we act."
)


def keyed(markdown: str) -> list[clauses.Clause]:
    """A version's clauses keyed 1, 2, 3… as the first save numbers them."""
    return clauses.with_keys(markdown, list(range(1, len(clauses.parse(markdown)) + 1)))


def rekey(old_markdown: str, new_markdown: str) -> list[int]:
    old = keyed(old_markdown)
    keys, _next = clauses.match_keys(old, clauses.parse(new_markdown), len(old) + 1)
    return keys


# --- parse and assemble ---------------------------------------------------------------------


def test_the_template_assembles_into_headed_clauses_and_parses_back():
    parts = [Part(heading, "") for heading, _hint in clauses.DEFAULT_TEMPLATE]
    markdown = clauses.assemble(parts)
    assert markdown.splitlines()[0] == "## Purpose"
    assert markdown.count("## ") == len(clauses.DEFAULT_TEMPLATE)
    assert clauses.parse(markdown) == parts
    # The hints are shown to people, never saved into the document.
    assert "Why we exist" not in markdown


def test_a_filled_in_template_round_trips_word_for_word():
    parts = clauses.parse(TEMPLATE_DOC)
    assert parts == [
        Part("Purpose", "Why we exist."),
        Part("Who we serve", "Our clients and our colleagues."),
        Part("How we work", "We listen first.\nThen we act."),
    ]
    assert clauses.assemble(parts) == TEMPLATE_DOC


def test_paragraphs_before_any_heading_are_clauses_of_their_own():
    parts = clauses.parse("We serve.\n\nWe care.\n\n## Values\n\nKindness.\n\nHonesty.")
    assert parts == [
        Part("", "We serve."),
        Part("", "We care."),
        # Under a heading, paragraphs belong to that heading's clause.
        Part("Values", "Kindness.\n\nHonesty."),
    ]


def test_heading_levels_and_closing_hashes_are_read_as_one_kind_of_heading():
    parts = clauses.parse("# Big\n\nbody\n\n#### Not a heading\n\n### Small ###\n\nx")
    assert parts == [Part("Big", "body\n\n#### Not a heading"), Part("Small", "x")]
    # Written back in the one form the document keeps.
    assert clauses.assemble(parts) == "## Big\n\nbody\n\n#### Not a heading\n\n## Small\n\nx"


def test_windows_line_endings_do_not_change_the_clauses():
    assert clauses.parse("One.\r\n\r\n## A\r\nBody") == clauses.parse("One.\n\n## A\nBody")


def test_a_hash_line_without_a_title_is_not_an_empty_clause():
    # A stray "# " must not become a clause with neither heading nor words, which would vanish
    # on the next save (and make "split into N clauses" say one too many).
    for text in ["Intro.\n\n#  \n\n## Next\n\nBody.", "#  \n\nOne.\n\nTwo.", "A.\n\n## \t"]:
        parts = clauses.parse(text)
        assert all(part.heading or part.body for part in parts), text
        assert clauses.parse(clauses.assemble(parts)) == parts, text


WORD = st.sampled_from(["we", "serve", "care", "our", "people", "with", "joy", "C#", "*all*"])
LINE = st.lists(WORD, min_size=1, max_size=6).map(" ".join)
HEADED_BODY = st.lists(st.lists(LINE, min_size=1, max_size=3).map("\n".join), max_size=3).map(
    "\n\n".join
)


@given(
    intro=st.lists(LINE, max_size=3),
    headed=st.lists(st.tuples(LINE, HEADED_BODY), max_size=4),
)
def test_assemble_then_parse_gives_the_same_clauses(intro, headed):
    parts = [Part("", line) for line in intro] + [
        Part(heading.replace("C#", "C"), body) for heading, body in headed
    ]
    markdown = clauses.assemble(parts)
    assert clauses.parse(markdown) == parts
    assert clauses.assemble(clauses.parse(markdown)) == markdown


# --- paste and split ------------------------------------------------------------------------


def test_a_pasted_text_with_headings_splits_by_its_headings():
    pasted = "# Purpose\nWhy we exist.\n\nAnd more.\n\n## Promise\nWe keep it."
    assert clauses.split_pasted(pasted) == [
        Part("Purpose", "Why we exist.\n\nAnd more."),
        Part("Promise", "We keep it."),
    ]


def test_a_pasted_text_without_headings_splits_by_its_paragraphs():
    pasted = "  We serve patients. We care.\r\n\r\nWe value colleagues.\n\n\n\nWe learn.  "
    assert clauses.split_pasted(pasted) == [
        Part("", "We serve patients. We care."),
        Part("", "We value colleagues."),
        Part("", "We learn."),
    ]


def test_a_single_pasted_paragraph_splits_by_its_sentences():
    assert clauses.split_pasted("We serve. We care!  Do we listen? Always") == [
        Part("", "We serve."),
        Part("", "We care!"),
        Part("", "Do we listen?"),
        Part("", "Always"),
    ]


def test_an_empty_paste_has_no_clauses():
    assert clauses.split_pasted(" \n\n \n") == []


# --- keys -----------------------------------------------------------------------------------


def test_unchanged_and_edited_clauses_keep_their_keys_and_an_inserted_one_gets_a_new_key():
    old = "We serve patients.\n\nWe value colleagues.\n\nWe keep learning."
    new = (
        "We serve every patient.\n\n"  # rewritten in place
        "A brand new clause about budgets entirely.\n\n"  # inserted
        "We value colleagues.\n\n"
        "We keep learning."
    )
    assert rekey(old, new) == [1, 4, 2, 3]


def test_headed_clauses_keep_their_keys_whatever_happens_to_their_words():
    new = TEMPLATE_DOC.replace("Why we exist.", "Completely different words now, none shared.")
    assert rekey(TEMPLATE_DOC, new) == [1, 2, 3]


def test_a_renamed_heading_keeps_its_key():
    new = TEMPLATE_DOC.replace("## Who we serve", "## Whom we serve")
    assert rekey(TEMPLATE_DOC, new) == [1, 2, 3]


def test_a_clause_inserted_between_headings_gets_the_next_key():
    new = TEMPLATE_DOC.replace(
        "## Who we serve", "## Our promise\n\nWe keep it.\n\n## Who we serve"
    )
    old = keyed(TEMPLATE_DOC)
    keys, next_key = clauses.match_keys(old, clauses.parse(new), 10)
    assert keys == [1, 10, 2, 3] and next_key == 11


def test_a_removed_clause_takes_its_key_with_it():
    new = "## Purpose\n\nWhy we exist.\n\n## How we work\n\nWe listen first.\nThen we act."
    assert rekey(TEMPLATE_DOC, new) == [1, 3]


def test_a_rewrite_beyond_recognition_is_a_new_clause():
    old = "We serve patients.\n\nWe value colleagues."
    assert rekey(old, "Zzz qqq.\n\nWe value colleagues.") == [3, 2]


def test_a_moved_clause_keeps_its_key():
    # Votes and duels follow a clause, so moving it must not hand it a new identity.
    moved = (
        "## How we work\n\nWe listen first.\nThen we act.\n\n"
        "## Purpose\n\nWhy we exist.\n\n"
        "## Who we serve\n\nOur clients and our colleagues."
    )
    assert rekey(TEMPLATE_DOC, moved) == [3, 1, 2]
    swapped = "We value colleagues.\n\nWe serve patients."
    assert rekey("We serve patients.\n\nWe value colleagues.", swapped) == [2, 1]


@given(st.permutations([0, 1, 2, 3]), st.sets(st.integers(0, 3)))
def test_keys_stay_unique_and_every_surviving_clause_keeps_its_own(order, rewritten):
    old_parts = [Part(f"Heading {i}", f"Body {i}.") for i in range(4)]
    old = clauses.with_keys(clauses.assemble(old_parts), [11, 12, 13, 14])
    new_parts = [
        Part(f"Heading {i}", f"Rewritten {i}." if i in rewritten else f"Body {i}.") for i in order
    ]
    keys, _ = clauses.match_keys(old, new_parts, 20)
    assert keys == [11 + i for i in order]


def test_versions_saved_before_clauses_had_keys_are_numbered_by_position():
    found = clauses.with_keys("We serve.\n\nWe care.", [])
    assert [(c.key, c.body) for c in found] == [(-1, "We serve."), (-2, "We care.")]


# --- where clauses are in the text ----------------------------------------------------------


def test_each_clause_knows_where_its_words_are():
    markdown = "Intro.\n\n" + TEMPLATE_DOC
    for clause in keyed(markdown):
        start, end = clause.span
        assert markdown[start:end] == clause.body
        assert markdown[clause.start :].startswith(clause.markdown)


def test_a_body_that_also_appears_in_its_heading_is_found_below_the_heading():
    markdown = "## Purpose\n\nx\n\n## What we value\n\nvalue"
    value = keyed(markdown)[1]
    start, end = value.span
    assert (start, end) == (len(markdown) - len("value"), len(markdown))


def test_clauses_of_an_older_free_form_text_are_found_in_it():
    markdown = "# Purpose\nWhy we exist.\n\nWe care.\n## Promise\n   We keep it."
    found = clauses.with_keys(markdown, [])
    assert [c.heading for c in found] == ["Purpose", "Promise"]
    for clause in found:
        start, end = clause.span
        assert markdown[start:end] == clause.body
        assert markdown[clause.start] == "#"


# --- a clause's new words -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "body", "problem"),
    [
        ("", "One paragraph.\nA second line is fine.", None),
        ("Values", "First paragraph.\n\nA headed clause may have more.", None),
        ("", "First paragraph.\n\nSecond paragraph.", "paragraphs"),
        ("", "Words.\n  \nMore words.", "paragraphs"),
        ("Values", "Words.\n## New heading", "heading"),
        ("", "# Heading", "heading"),
        ("Values", "We are #1 and #### four hashes are words.", None),
    ],
)
def test_a_clause_body_must_stay_one_clause(heading, body, problem):
    assert clauses.problem_with_body(heading, body) == problem
    if problem is None:  # and what is allowed really does read back as one clause
        part = Part(heading, body)
        assert clauses.parse(clauses.assemble([part])) == [part]


SENTENCE = st.lists(st.sampled_from(["we", "serve", "care", "for", "all"]), min_size=1, max_size=4)


@given(
    old_texts=st.lists(SENTENCE.map(" ".join), min_size=1, max_size=6, unique=True),
    new_texts=st.lists(SENTENCE.map(" ".join), min_size=1, max_size=6, unique=True),
)
def test_keys_are_never_shared_and_identical_clauses_keep_theirs(old_texts, new_texts):
    old = clauses.with_keys(
        clauses.assemble([Part("", t) for t in old_texts]), list(range(1, len(old_texts) + 1))
    )
    keys, next_key = clauses.match_keys(old, [Part("", t) for t in new_texts], 100)
    assert len(keys) == len(set(keys)) == len(new_texts)
    assert next_key == 100 + sum(1 for k in keys if k >= 100)
    for text, key in zip(new_texts, keys, strict=True):
        if text in old_texts:
            assert key == old_texts.index(text) + 1, (text, key)
