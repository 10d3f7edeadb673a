"""Lắng Nghe: the Flask application, in the field or the central role."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g, redirect, request, url_for
from flask_babel import get_locale, get_translations
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .config import build_config
from .extensions import babel, csrf, db, migrate

HERE = Path(__file__).resolve().parent
MIGRATIONS_DIR = HERE / "migrations"


def asset_dir(name: str) -> Path:
    """Return the templates/ or static/ folder, in a wheel or a checkout.

    A wheel ships them inside the package; a checkout (and an editable
    install) keeps them at the repository root.
    """
    for candidate in (HERE / name, HERE.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"{name}/ not found next to {HERE}; reinstall langnghe")


def select_locale() -> str:
    """Return the user's chosen language; Vietnamese unless they chose English."""
    from flask import current_app, has_request_context

    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]  # CLI, tests, sync
    chosen = request.cookies.get("lang")
    return chosen if chosen in current_app.config["LANGUAGES"] else "vi"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Use WAL, enforce foreign keys and wait on locks, for every SQLite connection."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    # WAL with synchronous=FULL: a power cut on battery loses no committed opinion.
    cursor.execute("PRAGMA synchronous=FULL")
    # A value rewritten or deleted (a denouncer's identity moved apart) is zeroed in the
    # file, not left readable in a free page.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def create_app(config: dict | None = None, pages: bool = True) -> Flask:
    """Create the application; `config` overrides the defaults (ROLE, DATA_DIR…).

    `pages=False`: a laptop command that serves nothing (`langnghe sync`, `enroll`,
    `export-bundle`…) gets the laptop's models and the outbox's capture, none of the
    views, forms or office models (about a third of such a command's start-up).
    """
    app = Flask(
        __name__,
        template_folder=str(asset_dir("templates")),
        static_folder=str(asset_dir("static")),
    )
    app.config.update(build_config(config))
    app.json.ensure_ascii = False  # Vietnamese stays readable UTF-8 on the wire.

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(HERE / "translations"),
    )

    if not pages and app.config["ROLE"] != "central":
        from . import field_models  # noqa: F401  (the laptop's models)
        from .outbox.capture import install as install_capture

        install_capture()
        return app
    from . import models  # noqa: F401  (register every model on the metadata)
    from .answers.views import bp as answers_bp
    from .api import bp as api_bp
    from .areas.views import bp as areas_bp
    from .attachments.views import bp as attachments_bp
    from .errors import register_error_handlers
    from .figures.views import bp as figures_bp
    from .forums.views import bp as forums_bp
    from .opinions.views import bp as opinions_bp
    from .pwa.lan import bp as lan_bp
    from .pwa.lan import pin_banner
    from .pwa.saved import register_saved_drafts
    from .pwa.views import bp as pwa_bp
    from .security import install_security
    from .template_helpers import register_template_helpers

    app.register_blueprint(areas_bp)
    app.register_blueprint(forums_bp)
    app.register_blueprint(opinions_bp)
    app.register_blueprint(answers_bp)
    app.register_blueprint(attachments_bp)
    app.register_blueprint(figures_bp)
    app.register_blueprint(pwa_bp)
    app.register_blueprint(lan_bp)
    app.context_processor(pin_banner)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # JSON only: a cross-site form cannot send application/json.
    if app.config["ROLE"] == "central":
        from .central import install as install_central

        install_central(app)
    else:
        from .backup.views import bp as backup_bp
        from .launcher.views import bp as launcher_bp
        from .outbox import install as install_outbox

        app.register_blueprint(backup_bp)  # the laptop's own database and photos
        app.register_blueprint(launcher_bp)  # the desktop icon that starts the app
        install_outbox(app)
    register_error_handlers(app)
    install_security(app)
    if app.config["ROLE"] != "central":
        from .pwa.lan import install_phone_gate

        install_phone_gate(app)  # other devices: only while phone access is on
    register_template_helpers(app)
    register_saved_drafts(app)

    @app.context_processor
    def inject_locale():
        return {"current_locale": str(get_locale())}

    def translations():
        # Once a request: Flask-Babel looks the locale and its catalogue up at every call,
        # and a list page says a few hundred words.
        found = g.get("_translations")
        if found is None:
            found = g._translations = get_translations()
        return found

    @app.teardown_request
    def forget_translated(_error=None):
        # Words translated for one request, dropped after it: an app context (a test's,
        # a CLI command's) can outlive many requests, each in its own language.
        for name in ("_translations", "_labels", "_category_labels"):
            g.pop(name, None)

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @app.before_request
    def require_setup():
        """Send every page to set-up until the commune is chosen."""
        from .areas.logic import current_commune

        # A new laptop may be set up by restoring another's backup (backup.views).
        if app.config["ROLE"] == "central" or request.endpoint in (None, "static") \
                or request.blueprint in ("api", "pwa", "backup"):
            return None
        if request.endpoint.startswith("areas.setup") or request.endpoint in (
                "pwa.language", "lan.pin", "lan.qr", "lan.phones", "lan.switch_phones"):
            return None
        if current_commune() is None:
            return redirect(url_for("areas.setup_commune"))
        return None

    return app
