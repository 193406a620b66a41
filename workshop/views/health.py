"""Liveness and database status for load balancers and monitors."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify

from ..extensions import csrf, db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@csrf.exempt
def healthz():  # noqa: ANN201
    """200 with the database reachable, 503 without."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        return jsonify({"status": "error", "database": "unavailable", "detail": str(error)}), 503
    return jsonify({"status": "ok", "database": "ok", "dialect": db.engine.dialect.name})
