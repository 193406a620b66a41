"""CSV: the record as named tables a spreadsheet opens, in one ZIP file.

``results.csv`` has a row per round and a row per visible result; the other tables are
the versions, clause consent, objections, proposals, amendments, duel options, where
each sentence came from, and participation (small groups pooled). Every table comes from
the record (record.py), so it says exactly what the JSON says, no more.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from typing import Any

CSV_COLUMNS = [
    "row",
    "round",
    "kind",
    "prompt",
    "method",
    "status",
    "voters",
    "proposal_id",
    "proposal_text",
    "item",
    "rank",
    "dots",
    "dot_voters",
    "approvals",
    "approval_share",
    "mean_score",
    "scores",
    "borda_points",
    "first_preferences",
    "agree",
    "live_with",
    "object",
    "consented",
    "include",
    "exclude",
    "word_status",
    "picks",
]
_TEXT_COLUMNS = ("prompt", "proposal_text", "item")


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel set to Dutch, German or French opens a .csv by splitting each line on ";", quotes or
# not: "We care;=1+1" then gives a cell "=1+1", which it runs; and a line break inside a cell
# starts a new row there, so "We care\n=1+1" does too (a Markdown list's "- " stays as it is).
_FORMULA_AFTER_A_BREAK = re.compile(r"(;|\r\n|\n|\r)(?=[=+@\t]|-(?! ))")


def _cell_text(value: str) -> str:
    """Text people wrote, safe to open in a spreadsheet: no formula from =, +, -, @ at its
    start, nor after a ";" or a line break, where a spreadsheet splitting on ";" would start a
    cell (a "'" goes before it, as spreadsheets themselves mark text)."""
    value = _FORMULA_AFTER_A_BREAK.sub(r"\1'", value)
    return "'" + value if value[:1] in _FORMULA_STARTS else value


def _table(columns: list[str], rows: Iterable[dict[str, Any]]) -> str:
    """One CSV table: a header, then the rows; text cells cannot become formulas."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: _cell_text(v) if isinstance(v, str) else ("" if v is None else v)
                for k, v in row.items()
                if k in columns
            }
        )
    return "\ufeff" + out.getvalue()  # the BOM makes spreadsheets read UTF-8 as UTF-8


def _people(people: list[dict[str, str]]) -> str:
    return "; ".join(
        p["name"]
        + (
            f" ({', '.join(x for x in (p['level'], p['department']) if x)})"
            if p.get("level")
            else ""
        )
        for p in people
    )


def tables(record: dict[str, Any]) -> dict[str, str]:
    """Every table of the record, by file name."""
    return {
        "results.csv": _results(record),
        "versions.csv": _table(
            [
                "number",
                "name",
                "source",
                "author",
                "created_at",
                "final",
                "locked_at",
                "signed_off_by",
                "note",
            ],
            (
                {
                    **v,
                    "source": v["source_label"],
                    "final": "yes" if v["final"] else "no",
                    "signed_off_by": "; ".join(s["name"] for s in v["signoffs"]),
                }
                for v in record["versions"]
            ),
        ),
        "clause_consent.csv": _table(
            [
                "clause_key",
                "clause",
                "agree",
                "live_with",
                "object",
                "stale",
                "current",
                "problems",
            ],
            (
                {**c, **c["consent"], "problems": "; ".join(c["problems"])}
                for c in record["clauses"]
            ),
        ),
        "objections.csv": _table(
            ["clause_key", "clause", "reason", "stale", "by"],
            (
                {
                    "clause_key": c["clause_key"],
                    "clause": c["clause"],
                    "reason": o["reason"],
                    "stale": "yes" if o["stale"] else "no",
                    "by": o["by"]["name"] if o["by"] else "",
                }
                for c in record["clauses"]
                for o in c["objections"]
            ),
        ),
        "proposals.csv": _table(
            ["id", "round_id", "status", "text", "authors", "comments", "created_at"],
            (
                {
                    **p,
                    "text": p["body_md"],
                    "authors": _people(p["authors"]),
                    "comments": len(p["comments"]),
                }
                for p in record["proposals"]
            ),
        ),
        "amendments.csv": _table(
            [
                "id",
                "clause_key",
                "status",
                "original",
                "replacement",
                "reason",
                "author",
                "method",
                "answers",
                "counts",
                "mean_score",
            ],
            (
                {
                    **a,
                    "author": _people([a["author"]]) if a["author"] else "",
                    "counts": "; ".join(f"{k}: {v}" for k, v in a["counts"].items()),
                }
                for a in record["amendments"]
            ),
        ),
        "duels.csv": _table(
            ["duel_id", "clause_key", "status", "option_id", "text", "votes", "winner"],
            (
                {
                    "duel_id": d["id"],
                    "clause_key": d["clause_key"],
                    "status": d["status"],
                    "option_id": o["id"],
                    "text": o["text"],
                    "votes": o["votes"],
                    "winner": "yes" if d["winner_id"] == o["id"] else "",
                }
                for d in record["duels"]
                for o in d["options"]
            ),
        ),
        "sentences.csv": _table(
            ["sentence", "version", "source", "people"],
            (
                {**row, "source": row["label"], "people": _people(row["people"])}
                for row in record["sentences"]
            ),
        ),
        "participation.csv": _table(
            ["by", "group", "members", "joined", "proposed", "voted"],
            (
                {"by": by, **row, "members": "; ".join(row["members"])}
                for by in ("level", "department")
                for row in record["participation"][f"by_{by}"]
            ),
        ),
        "success_measures.csv": _table(
            ["clause_key", "clause", "what", "baseline", "target", "owner_team", "review_on"],
            (
                {"clause_key": row["clause_key"], "clause": row["clause"], **measure}
                for row in record["success_measures"]
                for measure in row["measures"]
            ),
        ),
    }


def render_csv(context: dict[str, Any]) -> bytes:
    """The record's tables as CSV files in one ZIP."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in tables(context["record"]).items():
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()


def _results(record: dict[str, Any]) -> str:
    """Participation and results: a row per round, then a row per result where visible."""
    texts = {p["id"]: p["body_md"] for p in record["proposals"]}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, restval="", lineterminator="\r\n")
    writer.writeheader()
    rows: list[dict[str, Any]] = []
    for round_ in record["rounds"]:
        base = {
            "round": round_["position"] + 1,
            "kind": round_["kind"],
            "prompt": round_["prompt"],
            "method": round_["method"] or "",
        }
        rows.append(
            {"row": "round", **base, "status": round_["status"], "voters": round_["voters"]}
        )
        if round_["results"] is not None:
            rows.extend({"row": "result", **base, **r} for r in _result_rows(round_["results"]))
    for row in rows:
        for column in _TEXT_COLUMNS:
            if isinstance(row.get(column), str):
                row[column] = _cell_text(row[column])
        if row.get("proposal_id") not in (None, ""):
            row["proposal_text"] = _cell_text(texts.get(row["proposal_id"], ""))
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return "\ufeff" + out.getvalue()


def _result_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One round's visible results as CSV rows, with the figures its method has."""
    method = results["method"]
    if method in ("dot", "approval", "score"):
        rank = {pid: i + 1 for i, pid in enumerate(results["ranking"])}
        fields = {
            "dot": {"dots": "dots", "dot_voters": "voters"},
            "approval": {"approvals": "approvals", "approval_share": "share"},
            "score": {"mean_score": "mean", "scores": "count"},
        }[method]
        return [
            {
                "proposal_id": item["proposal_id"],
                "rank": rank.get(item["proposal_id"], ""),
                **{column: item[key] for column, key in fields.items()},
            }
            for item in results["items"]
        ]
    if method == "ranked":
        borda = results["borda"]["scores"]
        irv_rounds = results["instant_runoff"]["rounds"]
        first = irv_rounds[0]["counts"] if irv_rounds else {}
        ranking = list(results["schulze"]["ranking"])
        order = ranking + [int(k) for k in borda if int(k) not in ranking]
        return [
            {
                "proposal_id": pid,
                "rank": i + 1 if pid in ranking else "",
                "borda_points": borda.get(str(pid), 0),
                "first_preferences": first.get(str(pid), 0),
            }
            for i, pid in enumerate(order)
        ]
    if method == "consent":
        return [
            {
                "proposal_id": item["proposal_id"],
                "agree": item["counts"].get("agree", 0),
                "live_with": item["counts"].get("live_with", 0),
                "object": item["counts"].get("object", 0),
                "consented": "yes" if item["consented"] else "no",
            }
            for item in results["items"]
        ]
    if method == "vocabulary":
        return [
            {
                "item": item["word"],
                "include": item["include"],
                "exclude": item["exclude"],
                "word_status": item["status"],
            }
            for item in results["items"]
        ]
    if method == "values":
        return [{"item": row["value"], "picks": row["total"]} for row in results["rows"]]
    return []
