"""Microphone and loudspeaker: recording, playback, echo subtraction, end of speech and the
scripted practice loop. May import audio, analysis.schema and analysis.errors.
"""
