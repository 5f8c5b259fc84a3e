"""Piper voice synthesis for fixtures and scenario audio (optional ``synth`` extra).
Used by scripts/ and tests; nothing in the pipeline imports it.
"""
