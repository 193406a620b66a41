"""How long does counting a ranked vote take (Schulze, instant runoff and Borda together)?

Every ballot cast, every snapshot and every results page counts the round's ballots again,
so this is a cost each of them pays. Random ballots, each ranking ``--each`` proposals (0:
all of them), over ``--proposals`` proposals; the median of ``--repeats`` counts.

    .venv/bin/python bench/ranked_tally.py --proposals 50 --ballots 40 --each 0
    .venv/bin/python bench/ranked_tally.py --proposals 300 --ballots 60 --each 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from workshop import voting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=voting.MAX_RANKED_PROPOSALS)
    parser.add_argument("--ballots", type=int, default=40)
    parser.add_argument("--each", type=int, default=0, help="proposals ranked per ballot")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    ids = list(range(1, args.proposals + 1))
    each = args.each or args.proposals
    ballots = [rng.sample(ids, min(each, len(ids))) for _ in range(args.ballots)]
    took = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        voting.tally_ranked(ballots, ids)
        took.append(time.perf_counter() - started)
    print(
        f"{args.proposals} proposals, {args.ballots} ballots ranking {each} each: "
        f"median {statistics.median(took) * 1000:.1f} ms per count "
        f"(min {min(took) * 1000:.1f}, max {max(took) * 1000:.1f})"
    )


if __name__ == "__main__":
    main()
