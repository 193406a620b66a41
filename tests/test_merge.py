"""Three-way merges: what merges, what conflicts, and that no edit is ever lost."""

from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.merge import merge, opcodes

BASE = "We serve our patients with care and we value our colleagues."


def test_changes_to_different_words_are_merged():
    mine = BASE.replace("patients", "neighbours")
    theirs = BASE.replace("colleagues", "teams")
    assert merge(BASE, mine, theirs) == (
        "We serve our neighbours with care and we value our teams."
    )


def test_the_same_words_changed_differently_conflict():
    assert merge(BASE, BASE.replace("care", "kindness"), BASE.replace("care", "respect")) is None


def test_an_insertion_inside_the_others_change_conflicts():
    mine = BASE.replace("with care and", "with great care and")
    theirs = BASE.replace("with care and", "and")
    assert merge(BASE, mine, theirs) is None


def test_two_different_insertions_at_one_spot_conflict():
    assert merge("We serve.", "We serve all.", "We serve many.") is None


def test_the_same_change_on_both_sides_is_taken_once():
    same = BASE.replace("care", "kindness")
    assert merge(BASE, same, same) == same


def test_one_side_unchanged_gives_the_other():
    mine = BASE.replace("care", "kindness")
    assert merge(BASE, mine, BASE) == mine
    assert merge(BASE, BASE, mine) == mine


VOCABULARY = ["we", "serve", "care", "our", "people", "with", "joy", "every", "day", "listen"]
# A sentence rarely repeats a word next to itself; these bases never repeat one at all.
DISTINCT_WORDS = st.lists(st.sampled_from(VOCABULARY), min_size=4, max_size=10, unique=True)
REPEATING_WORDS = st.lists(
    st.sampled_from(["we", "serve", "we", "care", "we"]), min_size=4, max_size=14
)


def disjoint_edits(words, data):
    """Each side rewrites its own word positions, with an unchanged word between the sides."""
    positions = list(range(len(words)))
    mine_at = set(data.draw(st.lists(st.sampled_from(positions), max_size=3)))
    their_at = set(data.draw(st.lists(st.sampled_from(positions), max_size=3))) - mine_at
    their_at = {p for p in their_at if all(abs(p - q) > 1 for q in mine_at)}
    mine = [f"MINE{i}" if i in mine_at else w for i, w in enumerate(words)]
    theirs = [f"THEIRS{i}" if i in their_at else w for i, w in enumerate(words)]
    expected = [
        f"MINE{i}" if i in mine_at else f"THEIRS{i}" if i in their_at else w
        for i, w in enumerate(words)
    ]
    return " ".join(mine), " ".join(theirs), " ".join(expected)


@given(words=DISTINCT_WORDS, data=st.data())
def test_edits_to_disjoint_words_always_merge_and_keep_both(words, data):
    """Each side rewrites its own set of word positions: the merge holds every change."""
    mine, theirs, expected = disjoint_edits(words, data)
    assert merge(" ".join(words), mine, theirs) == expected


@settings(max_examples=1000, deadline=None)
@given(words=REPEATING_WORDS, data=st.data())
def test_disjoint_edits_among_repeated_words_keep_every_word(words, data):
    """Where the same word repeats, which "we" an edit replaced can be read more than one
    way; whatever the merge does, it keeps every change and every untouched word (or, rarely,
    hands both texts back)."""
    mine, theirs, expected = disjoint_edits(words, data)
    merged = merge(" ".join(words), mine, theirs)
    if merged is not None:
        assert sorted(merged.split()) == sorted(expected.split())


def test_a_repeated_word_does_not_make_disjoint_edits_conflict():
    # difflib's first reading of "we MINE1 we we" deletes the last "we" (where the other side
    # edits); reading from the back too finds the description that does not overlap.
    assert merge("we we we we", "we MINE1 we we", "we we we THEIRS3") == "we MINE1 we THEIRS3"


SHARED = ["we", "serve", "care", "our", "people", "with", "joy"]


@given(
    base=st.lists(st.sampled_from(SHARED), min_size=3, max_size=12),
    mine=st.lists(st.sampled_from([*SHARED, "M1", "M2", "M3"]), min_size=1, max_size=12),
    theirs=st.lists(st.sampled_from([*SHARED, "T1", "T2", "T3"]), min_size=1, max_size=12),
)
def test_a_merge_never_loses_or_doubles_an_edit(base, mine, theirs):
    """Whatever two people do, a merge keeps every word each of them brought in, exactly once
    per time they wrote it, or it refuses and hands the texts back."""
    merged = merge(" ".join(base), " ".join(mine), " ".join(theirs))
    if merged is None:
        return
    result = merged.split()
    for side, own in ((mine, ("M1", "M2", "M3")), (theirs, ("T1", "T2", "T3"))):
        for word in own:
            assert result.count(word) == side.count(word), (word, side, merged)
    assert merge(" ".join(base), " ".join(theirs), " ".join(mine)) is not None  # symmetric


@settings(max_examples=200, deadline=None)
@given(
    a=st.lists(st.sampled_from(SHARED[:3]), max_size=400),
    b=st.lists(st.sampled_from(SHARED[:3]), max_size=400),
)
def test_the_matching_of_long_repetitive_texts_still_turns_one_into_the_other(a, b):
    """Only the words between the texts' common start and end are matched by difflib now
    (a text of repeated words took minutes): its opcodes still say exactly how ``a`` becomes
    ``b``, equal where they say equal."""
    rebuilt: list[str] = []
    for tag, i1, i2, j1, j2 in opcodes(a, b):
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
        rebuilt.extend(b[j1:j2])
    assert rebuilt == b


def test_edits_at_both_ends_of_a_long_text_of_one_repeated_word_merge():
    """A document of 3,300 "we" (a merge of it took 22 s under the workshop's lock, a clause
    save of 2,000 "a" 7 s): one person adds at its start, another at its end."""
    base = " ".join(["we"] * 3300)
    assert merge(base, "Now " + base, base + " too") == "Now " + base + " too"
