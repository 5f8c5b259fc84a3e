"""Text cues per utterance (questions, reflections, validation, advice, ...), MITI counts and
cross-turn events; owns the shipped cue model. May import analysis.schema and errors only.
"""
