"""The central office: accounts and permissions, devices, the inbox, the office API.

Each domain is a package (models, logic, views); their views share the
`central` blueprint so every office URL lives under /central.
"""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, request, url_for
from flask_login import LoginManager

from ..extensions import db

login_manager = LoginManager()
login_manager.login_view = "central.login"
login_manager.login_message = "Hãy đăng nhập để vào văn phòng xã."

bp = Blueprint("central", __name__, url_prefix="/central")


@login_manager.user_loader
def load_account(session_id: str):
    from .accounts.logic import account_for_session

    return account_for_session(session_id)


def install(app: Flask) -> None:
    """Mount the sync API and the office pages; field pages are not served here."""
    from sync import store
    from sync.server import create_blueprint

    from ..extensions import csrf
    from .accounts import views as _accounts  # noqa: F401  (routes on bp)
    from .api.views import api
    from .catalogue import views as _catalogue  # noqa: F401
    from .catalogue.logic import pull_categories
    from .devices import views as _devices  # noqa: F401
    from .duplicates import views as _duplicates  # noqa: F401
    from .duplicates.logic import refresh as refresh_duplicates
    from .inbox import views as _inbox  # noqa: F401
    from .inbox.projection import project

    # Every batch a push or a USB bundle stores updates the office's tables in its
    # own transaction.
    with app.app_context():  # this app's database, not another app's in the same process
        store.on_stored(db.engine, project)
        store.on_stored(db.engine, refresh_duplicates)  # after project: reads its rows
        # Every pull brings the laptop its commune's category list.
        store.on_pull(db.engine, pull_categories)
    login_manager.init_app(app)
    # Cookies are per host, not per port: on one machine (the demo, a commune laptop that
    # is both) the field app's session would log the office out.
    app.config["SESSION_COOKIE_NAME"] = "langnghe_central"
    app.config.setdefault("CENTRAL_BLOBS", app.config["DATA_DIR"] / "blobs")
    sync_bp = create_blueprint(lambda: db.engine, lambda: app.config["CENTRAL_BLOBS"])
    app.register_blueprint(sync_bp)
    csrf.exempt(sync_bp)  # signed by the device's key, never sent by a browser form
    app.register_blueprint(bp)
    app.register_blueprint(api)
    csrf.exempt(api)  # a bearer token, never a browser's cookie

    @app.template_global("can")
    def can_here(action: str) -> bool:
        """Tell a template whether the account of this request may do `action` (the nav)."""
        from .accounts.logic import office_account
        from .accounts.permissions import can

        return can(office_account(), action)

    @app.get("/sync/openapi.json")
    def sync_openapi():
        """The OpenAPI description of the sync API (docs/sync-protocol.md tells the rest)."""
        from sync.openapi import openapi_document

        return openapi_document()

    @app.before_request
    def office_only():
        """Send field pages to the office dashboard: the central records nothing itself."""
        if request.blueprint in ("central", "central_api", "sync", "pwa") or request.endpoint in (
                None, "static", "sync_openapi"):
            return None
        return redirect(url_for("central.index"))
