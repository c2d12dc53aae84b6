"""Extraction markers for translatable messages in the pure domain.

The domain cannot import Flask-Babel, so it marks its English msgids with these no-op functions and the web
layer translates them. Extract with: pybabel extract -k N_ -k Nn_:1,2 ...
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for extraction and return it unchanged."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural message pair for extraction and return both forms."""
    return singular, plural
