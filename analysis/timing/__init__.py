"""Conversation timing over turns and speaker activity: talk share, latency, overlaps,
interruptions, backchannels, pauses. May import analysis.speakers, schema and errors.
"""
