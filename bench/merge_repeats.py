"""How often do two edits to different words of a clause fail to merge when words repeat?

Draws random clauses from a small vocabulary heavy in "we", lets two people
replace different word positions (with an unchanged word between them), and
merges. Counts refusals (false conflicts: the edits did not overlap) for the
merge as shipped, and for the same merge reading each side's changes from the
front only (how it worked before). Also checks that every merge kept every
changed and every untouched word exactly once.

    .venv/bin/python bench/merge_repeats.py --trials 30000
"""

from __future__ import annotations

import argparse
import random

from workshop import merge

VOCABULARY = ["we", "serve", "care", "our", "people", "with", "joy", "we", "we"]


def front_only(base: str, mine: str, theirs: str) -> str | None:
    """The merge with each side read by difflib from the front only."""
    base_tokens = merge.tokens(base)
    mine_hunks = merge.hunks(base_tokens, merge.tokens(mine))
    their_hunks = merge.hunks(base_tokens, merge.tokens(theirs))
    if any(merge._clash(a, b) for a in mine_hunks for b in their_hunks):
        return None
    return merge._apply(base_tokens, mine_hunks, their_hunks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    refused = {"shipped": 0, "front only": 0}
    for _trial in range(args.trials):
        words = [rng.choice(VOCABULARY) for _word in range(rng.randint(4, 14))]
        mine_at = set(rng.sample(range(len(words)), rng.randint(1, 3)))
        their_at = {
            p for p in rng.sample(range(len(words)), 3) if all(abs(p - q) > 1 for q in mine_at)
        }
        mine = [f"MINE{i}" if i in mine_at else w for i, w in enumerate(words)]
        theirs = [f"THEIRS{i}" if i in their_at else w for i, w in enumerate(words)]
        expected = sorted(
            f"MINE{i}" if i in mine_at else f"THEIRS{i}" if i in their_at else w
            for i, w in enumerate(words)
        )
        texts = (" ".join(words), " ".join(mine), " ".join(theirs))
        for name, run in (("shipped", merge.merge), ("front only", front_only)):
            merged = run(*texts)
            if merged is None:
                refused[name] += 1
            else:
                assert sorted(merged.split()) == expected, (texts, merged)
    for name, count in refused.items():
        print(f"{name:>10}: {count} of {args.trials} disjoint edit pairs refused as conflicts")
    print("every merge kept every changed and untouched word exactly once")


if __name__ == "__main__":
    main()
