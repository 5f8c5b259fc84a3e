"""Accuracy of each stage on reference data (DER, AnnoMI cues and index). Imported only by
the CLI; may import anything below it, and service.bench for shared timing helpers.
"""
