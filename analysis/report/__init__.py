"""The versioned Report type and its JSON schema, and its renderers (text, HTML, plots).
May import analysis.schema and analysis.errors only.
"""
