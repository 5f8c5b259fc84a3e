"""Who speaks when: speaker activity from channels, a scripted timeline or mono diarization;
turns and helper/client roles. May import analysis.schema and analysis.errors only.
"""
