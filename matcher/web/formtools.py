"""Putting a service's refusal next to the right form field."""

from __future__ import annotations

from flask import flash

from matcher.services.errors import ServiceError


def apply_service_error(form, error: ServiceError) -> None:
    """Attach the refusal to its field when the form has it, else flash it."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(str(error.message))
    else:
        flash(str(error.message), "danger")
