"""CSV: participation and results, in a form a spreadsheet opens."""

from __future__ import annotations

import csv
import io
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


def _cell_text(value: str) -> str:
    """Text people wrote, safe to open in a spreadsheet (no formulas from =, +, -, @)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def render_csv(context: dict[str, Any]) -> str:
    """Participation and results: a row per round, then a row per result where visible."""
    record = context["record"]
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
    return "\ufeff" + out.getvalue()  # the BOM makes spreadsheets read UTF-8 as UTF-8


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
