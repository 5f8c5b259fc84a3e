"""Scripted practice: scenarios, the conversation's next line, a run turned into a report, voicing the lines.

The web routes (``service/web/practice.py``, ``scenario_admin.py``) and the CLI commands
(``service/cli/practice.py``, ``scenarios.py``) are thin edges over these modules.
"""
