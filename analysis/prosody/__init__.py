"""Voice per speaker and per turn: pitch (NumPy YIN), level, speaking rate, pauses, fillers.
May import analysis.schema and analysis.errors only.
"""
