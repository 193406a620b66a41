"""How long do the word-level matchers take on a long text that repeats its words?

Every save carries the words' credits over (``credits.carry``), a save on an older version
merges (``merge.merge``, under the workshop's lock) and the history shows the differences
(``diffs.diff_texts``); each matches words with difflib, whose cost grows with the square of
a text that repeats words. A document of ``--words`` words drawn from ``--vocabulary`` words,
edited at its start by one person and at its end by another.

    .venv/bin/python bench/long_edits.py --words 3300 --vocabulary 1
    .venv/bin/python bench/long_edits.py --words 3000 --vocabulary 20
"""

from __future__ import annotations

import argparse
import random
import time

from workshop import credits, diffs, merge


def timed(label: str, work) -> None:
    started = time.perf_counter()
    work()
    print(f"  {label}: {(time.perf_counter() - started) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=3300)
    parser.add_argument("--vocabulary", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    vocabulary = [
        "we",
        "serve",
        "care",
        "our",
        "people",
        "with",
        "joy",
        "patients",
        "every",
        "day",
        "listen",
        "learn",
        "act",
        "home",
        "team",
        "trust",
        "safe",
        "well",
        "together",
        "first",
    ][: max(1, args.vocabulary)]
    base = " ".join(rng.choice(vocabulary) for _ in range(args.words))
    mine, theirs = "Now " + base, base + " too"
    print(f"{len(base):,} characters, {args.words:,} words of {len(vocabulary)}:")
    timed("merge (a save on an older version)", lambda: merge.merge(base, mine, theirs))
    keys = ["p1"] * len(credits.words(base))
    timed("credits carried over (every save)", lambda: credits.carry(base, keys, mine, "p2"))
    timed("differences (the history's page)", lambda: diffs.diff_texts(base, mine))


if __name__ == "__main__":
    main()
