"""Local storage: the SQLite database (schema migrations) and the instance folder's audio
and report files. May import audio.decode and analysis.
"""
