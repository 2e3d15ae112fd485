"""Deterministic demo data in the command vocabulary (DESIGN.md).

`generate` streams command envelopes in time order; `generate_commands` returns the first n of them.
"""

from .generator import generate, generate_commands

__all__ = ["generate", "generate_commands"]
