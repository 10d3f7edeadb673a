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
    from .cases import api as _cases_api  # noqa: F401  (routes on api)
    from .cases import views as _cases  # noqa: F401
    from .catalogue import views as _catalogue  # noqa: F401
    from .catalogue.logic import pull_categories
    from .devices import views as _devices  # noqa: F401
    from .duplicates import views as _duplicates  # noqa: F401
    from .duplicates.logic import after_office_update as duplicates_after_update
    from .duplicates.logic import refresh as refresh_duplicates
    from .identity import views as _identity  # noqa: F401
    from .identity.keys import sealer_for
    from .identity.logic import after_office_update as move_identity
    from .identity.logic import settler, withhold
    from .inbox import logic as inbox_logic
    from .inbox import views as _inbox  # noqa: F401
    from .inbox.projection import project
    from .notify import logic as notify
    from .notify import views as _notify  # noqa: F401
    from .reports import views as _reports  # noqa: F401
    from .reports.views import public

    # Every batch a push or a USB bundle stores updates the office's tables in its
    # own transaction.
    with app.app_context():  # this app's database, not another app's in the same process
        # A denouncer's identity is taken out before the wire's log stores a record and
        # sealed apart before the projection reads it (identity/logic.py).
        store.on_checked(db.engine, withhold)
        store.on_stored(db.engine, settler(sealer_for(app)))  # the key: made on first start
        store.on_stored(db.engine, project)
        store.on_stored(db.engine, refresh_duplicates)  # after project: reads its rows
        store.on_stored(db.engine, notify.cancel_deleted)  # after project: reads its rows
        # Every pull brings the laptop its commune's category list.
        store.on_pull(db.engine, pull_categories)
    inbox_logic.on_updated(move_identity)
    inbox_logic.on_updated(notify.after_office_update)
    inbox_logic.on_updated(duplicates_after_update)
    notify.listen()
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
    # Công khai: the public results page, outside the office's login (no personal data).
    app.register_blueprint(public)
    csrf.exempt(api)  # a bearer token, never a browser's cookie

    @app.template_global("can")
    def can_here(action: str) -> bool:
        """Tell a template whether the account of this request may do `action` (the nav)."""
        from .accounts.logic import office_account
        from .accounts.permissions import can

        return can(office_account(), action)

    @app.template_global("may_open")
    def may_here(endpoint: str) -> bool:
        """Tell a template whether the account of this request may open `endpoint` (show
        a link only to who may follow it)."""
        from .accounts.logic import office_account
        from .accounts.permissions import may_follow

        return may_follow(office_account(), endpoint)

    @app.template_global("notifications_of")
    def notifications_of(opinion_id):
        """Return the messages telling this opinion's citizen their answer (the opinion page)."""
        return list(notify.messages(office_account_here(), opinion_id=opinion_id,
                                    per_page=20).items)

    @app.template_global("notification_status")
    def notification_status(status: str) -> str:
        from .notify.models import STATUS_LABELS

        return str(STATUS_LABELS.get(status, status))

    def office_account_here():
        from .accounts.logic import office_account

        return office_account()

    @app.get("/sync/openapi.json")
    def sync_openapi():
        """The OpenAPI description of the sync API (docs/sync-protocol.md tells the rest)."""
        from sync.openapi import openapi_document

        return openapi_document()

    @app.before_request
    def office_only():
        """Send field pages to the office dashboard: the central records nothing itself."""
        if request.blueprint in ("central", "central_api", "sync", "pwa", "public") \
                or request.endpoint in (None, "static", "sync_openapi"):
            return None
        return redirect(url_for("central.index"))


def start_workers(app: Flask) -> None:
    """Start the served central's background work (`langnghe central`, never an app made
    in a test or a script): messages to citizens retried, new opinions paired."""
    from .duplicates.logic import start_drainer
    from .notify import logic as notify

    interval = float(app.config.get("NOTIFY_RETRY_INTERVAL", 60))
    if interval > 0:
        notify.start_retrier(app, interval)
    pairing = float(app.config.get("DUPLICATES_INTERVAL", 5))
    if pairing > 0:
        start_drainer(app, pairing)
