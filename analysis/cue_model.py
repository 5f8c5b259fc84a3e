"""Behaviour classifier for helper utterances (placeholder until weights ship)."""

from __future__ import annotations

__all__ = ["default_model"]


def default_model():
    """The shipped model, or None when its weights are absent."""
    return None
