"""Plain words for every term a trainee meets in a report: one place, reused by every renderer.

:data:`GLOSSARY` maps a term to a one-line explanation. It travels in ``report.json`` as the
top-level ``"glossary"`` object (so the web page can show it on hover without importing Python),
and renderers import it directly. :data:`SPEAKER_NAMES` turns a role into what the page shows.
:data:`BANDS` holds the target band each figure is read against.
"""

from __future__ import annotations

from analysis.report.figures import FIGURES, PACE_BAND

__all__ = ["GLOSSARY", "SPEAKER_NAMES", "BANDS", "speaker_name", "percent", "unit_for"]

GLOSSARY: dict[str, str] = {
    "listening score": "0-100: how well this role-play shows listening skills, from the six parts below "
                       "(the 'index' in the data). Practice feedback, not a clinical rating.",
    "sub-score": "One part of listening, 0-100; the listening score is their weighted average.",
    "weight": "How much a part counts towards the listening score.",
    "reflection": "Saying back, in your own words, what the client said or feels "
                  "(\"It sounds like you feel let down\").",
    "complex reflection": "A reflection that adds meaning: a feeling not named yet, both sides of "
                          "a dilemma, or what matters to the client.",
    "validation": "Telling the client their feeling makes sense (\"No wonder you're scared\").",
    "affirmation": "Naming a strength or effort of the client's (\"That took real courage\").",
    "open question": "A question the client cannot answer with yes or no (\"What was that like?\").",
    "closed question": "A yes/no or one-word question (\"Did you call your sponsor?\").",
    "advice": "Telling the client what to do; fine when they ask for it or you ask first.",
    "fix before exploring": "Offering a solution right after the client shares a feeling, "
                            "before you have understood it.",
    "minimising": "Making a feeling smaller (\"at least...\", \"don't worry\").",
    "talk share": "How much of the speaking time was yours; the client should speak more.",
    "interruption": "Starting to talk while the client is still speaking and taking over.",
    "backchannel": "A short \"mm-hmm\" or \"yeah\" while the client talks: shows you are listening "
                   "without taking over.",
    "pause before answering": "The gap between the client stopping and you starting; a calm "
                              "half-second to a second gives them room.",
    "pace": f"How fast you speak, in words a minute; calm is about {PACE_BAND.lo:.0f}-{PACE_BAND.hi:.0f}.",
    "pitch variation": "How much your voice rises and falls; very little sounds flat. Measured in "
                       "semitones (musical steps); 2.5 or more sounds lively.",
    "loudness vs the client": "How much louder or softer you were than the client, in decibels "
                              "(dB); within 3 dB is even.",
    "rushed reply": "Answering fast, right after the client shared something hard.",
    "unsure": "The transcript or the classifier was not certain about this quote: listen to the "
              "moment before acting on it.",
    "MITI": "Motivational Interviewing Treatment Integrity 4.2.1: the counts supervisors use "
            "(questions, reflections and their ratio).",
    "R:Q": "Reflections per question (MITI): fair 1:1, good 2:1.",
    "channel": "One side of a stereo recording; ListenWell can use one side per speaker.",
    "partial report": "A stage could not run (for example the helper never speaks), so there is "
                      "no score; the notes say why.",
}

SPEAKER_NAMES: dict[str, str] = {"helper": "You (helper)", "client": "Client"}

# (low, high, unit) target bands, read by the sentences and tables that show a figure: views of the
# one definition in :data:`analysis.report.figures.FIGURES`, never bands of their own.
def _band(name: str) -> tuple[float, float, str]:
    d = FIGURES[name]
    return (d.band.lo if d.band.lo is not None else float("-inf"),
            d.band.hi if d.band.hi is not None else float("inf"), d.unit)


BANDS: dict[str, tuple[float, float, str]] = {
    "pace": _band("speaking_rate"),
    "talk_share": _band("helper_talk_share"),
    "pause": _band("response_pause"),
    "pitch_variation": _band("pitch_variation"),
    "loudness": _band("level_vs_client"),
}


def speaker_name(role: str | None, speaker: str = "") -> str:
    """"You (helper)", "Client", or "Speaker" when the role is unknown (never a raw label like ch0)."""
    if role in SPEAKER_NAMES:
        return SPEAKER_NAMES[role]
    return "Speaker"


def percent(share: float | None) -> int | None:
    """A 0-1 share as a whole percentage, rounded half up: the one rounding every view uses."""
    if share is None:
        return None
    return int(float(share) * 100.0 + 0.5 + 1e-9)


_SINGULAR = {"times": "time", "replies": "reply", "turns": "turn"}


def unit_for(value: float | None, unit: str) -> str:
    """The unit as said after ``value``: "1 reply", "2 replies" (the text report and the web page)."""
    return _SINGULAR.get(unit, unit) if value == 1 else unit
