"""Form helpers shared by every domain's WTForms."""

from __future__ import annotations

from flask_wtf import FlaskForm

from .errors import ValidationFailed


def show_errors(form: FlaskForm, exc: ValidationFailed) -> None:
    """Put the domain's per-field messages next to the matching form fields."""
    for name, message in exc.details.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), message]
        else:
            form.form_errors.append(message)


def form_data(form: FlaskForm, names: tuple[str, ...]) -> dict:
    """Return the named fields' values as the plain dict domain functions take."""
    return {name: getattr(form, name).data for name in names if hasattr(form, name)}
