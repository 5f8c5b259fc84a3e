"""Answering the report's speaking-order question from the report page.

When one microphone recorded the session and the diarizer could not tell whether one or two
people speak (or two voices were alike), the report asks: "say whether the helper speaks first
or second". :func:`speaker_question` says whether the report page offers that answer, and how
prominently; the route (``POST /sessions/<id>/speakers`` in :mod:`service.web.reports`) stores
it on the session and queues the analysis again, which then splits the recording into two
voices (``DiarizeOptions.num_speakers = 2``) with the helper where the user said.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from analysis.report.types import Report
from analysis.schema import Turn
from analysis.scoring.summary import speakers_uncertain
from analysis.speakers.diarize import UNSURE_NOTE
from analysis.speakers.order_check import order_conflict, order_sentence
from service.pipeline import HELPER_ORDER, ORDER_NOTE

__all__ = ["ANSWERS", "speaker_question", "order_fix", "answer_message", "notes_beside_question"]

# the report notes that ask the same question in words (the pipeline's and the diarizer's)
_ASKING = (ORDER_NOTE.split("(")[0], "Speakers: " + UNSURE_NOTE.split("(")[0])

#: the form's choices: the helper is the person who speaks first / second in time
ANSWERS = ("first", "second")


def speaker_question(report: Report | None, session: Mapping[str, Any],
                     job: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """What the report page offers for the speaking order, or None (nothing to offer).

    Offered for a one-microphone recording split by the diarizer whose audio is kept, when no
    analysis is queued or running. ``ask`` is True when the diarizer was unsure and no order was
    given (the question is then shown beside the headline); otherwise the answer sits in a
    "Speakers mixed up?" box. ``current`` is the order already given ("first", "second" or None).
    """
    if not report or not session.get("audio_name"):
        return None
    if job is not None and job.get("status") in ("queued", "running"):
        return None
    speakers = report.speakers
    if speakers is None or speakers.source != "diarization":
        return None
    order = HELPER_ORDER.get((session.get("helper_speaker") or "").strip().lower())  # older sessions: speaker0/1
    return {"ask": speakers_uncertain(speakers, report.settings), "current": None if order is None else ANSWERS[order],
            "voices": len(speakers.activity.speakers)}


def order_fix(report: Report | None, session: Mapping[str, Any],
              job: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The one-click fix when the order the user gave contradicts a confident automatic guess, or None.

    ``field``/``value`` are what the "Use the other order" button posts to the speaking-order route:
    ``helper_speaker`` "first"/"second" for one microphone, ``helper_channel`` "0"/"1" for stereo.
    ``sentence`` says what was given and what the words suggest; ``opening`` the session's first
    words, so the reader can tell who speaks first. Offered when the audio is kept
    and no analysis is queued or running.
    """
    check = None if report is None else order_conflict(report.speakers)
    if check is None or not session.get("audio_name"):
        return None
    if job is not None and job.get("status") in ("queued", "running"):
        return None
    if check.inferred in ANSWERS:
        field, value, words = "helper_speaker", check.inferred, f"the helper speaking {check.inferred}"
    elif check.inferred in ("ch0", "ch1"):
        field, value = "helper_channel", check.inferred[2:]
        words = f"the helper on the {'left' if value == '0' else 'right'} channel"
    else:
        return None
    return {"sentence": order_sentence(check), "field": field, "value": value, "words": words,
            "opening": _opening(report.turns)}


def _opening(turns: Sequence[Turn], words: int = 12) -> str:
    """The first words spoken in the session (so a trainee can tell who speaks first), or ""."""
    text = next((t.text.strip() for t in turns if t.text.strip()), "")
    cut = text.split()
    return " ".join(cut[:words]) + ("…" if len(cut) > words else "")


def answer_message(helper: str) -> str:
    """The flash message after the answer is stored and the analysis queued."""
    return (f"Analysing again as two people, with the helper speaking {helper}. This takes about as long as "
            "the first analysis; the page updates when it is done.")


def notes_beside_question(notes: list[str], question: Mapping[str, Any] | None) -> list[str]:
    """The report's notes, less those that ask for the speaking order when the page asks it itself."""
    if not question or not question.get("ask"):
        return list(notes)
    return [n for n in notes if not n.startswith(_ASKING)]
