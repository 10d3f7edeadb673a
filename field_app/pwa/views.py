"""Language choice and a health check."""

from flask import Blueprint, current_app, jsonify, redirect, request, url_for

bp = Blueprint("pwa", __name__)


@bp.get("/language/<code>")
def language(code: str):
    """Switch the interface language (Vietnamese or English) and go back."""
    target = request.referrer or url_for("forums.index")
    if not target.startswith(request.host_url):
        target = url_for("forums.index")  # Never redirect off this laptop.
    response = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=5 * 365 * 86400, samesite="Lax")
    return response


@bp.get("/healthz")
def health():
    """Answer that the server is up (the PWA polls this)."""
    return jsonify(status="ok", role=current_app.config["ROLE"])
