"""Liveness and database status for load balancers and monitors."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, send_from_directory

from ..extensions import csrf, db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@csrf.exempt
def healthz():
    """200 with the database reachable, 503 without."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        return jsonify({"status": "error", "database": "unavailable", "detail": str(error)}), 503
    return jsonify({"status": "ok", "database": "ok", "dialect": db.engine.dialect.name})


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page says; answer with the app's icon."""
    return send_from_directory(
        current_app.static_folder or "", "favicon.svg", mimetype="image/svg+xml", max_age=86400
    )
