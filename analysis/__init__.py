"""Pure analysis stages of ListenWell (no files, devices, models or Flask).

Stages are feature subpackages (speakers, timing, prosody, cues, scoring, report) over the
dataclasses in :mod:`analysis.schema`; :mod:`analysis.errors` is the one error hierarchy.
"""
