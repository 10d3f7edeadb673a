"""Log in and out of the office."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from ...extensions import db
from .. import bp
from . import logic


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        try:
            account = logic.authenticate(request.form.get("username", ""),
                                         request.form.get("password", ""), request.remote_addr)
        except (logic.LoginThrottled, logic.BadLogin) as exc:
            db.session.commit()  # a refused try takes back its place in the count
            flash(exc.message, "error")
            retry = getattr(exc, "retry_after", None)
            return (render_template("central/login.html"), exc.status,
                    {"Retry-After": str(retry)} if retry else {})
        db.session.commit()
        login_user(account)
        return redirect(url_for(".index"))
    return render_template("central/login.html")


@bp.post("/logout")
def logout():
    """End the session here and for any saved copy of its cookie (POST: no cross-site GET)."""
    if current_user.is_authenticated:
        logic.end_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    return redirect(url_for(".login"))
