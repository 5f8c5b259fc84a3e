"""The listening-quality index: sub-scores with evidence from timing, prosody and cues.
May import analysis.report (types), analysis.cues (view), schema and errors.
"""
