"""Audio edges of ListenWell: decoding, model lookup, transcription and voice activity.

Files and models in, arrays and :mod:`analysis.schema` types out; microphone and speaker live in
:mod:`audio.devices`. May import analysis.schema and analysis.errors only.
"""
