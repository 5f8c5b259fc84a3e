"""Every figure a report judges, defined once: its plain name, unit and target band.

A sub-score's parts (:class:`~analysis.report.types.ScorePart`) are named figures. The band a
figure is read against lives here and nowhere else: the scorer stamps it on each part, every
sentence that states a target reads it from here (:func:`target_text`), the summary praises a
figure only inside its band and faults it only outside, and the consistency checker checks each
claim against it. The bands come from the documented definitions (README, "The report";
../shared/DESIGN.md, "Metric definitions"; MITI 4.2.1 and 3.1.1 thresholds), not from data.

Phrases: :func:`praise_phrase` and :func:`fault_phrase` turn one figure into the words a claim
uses ("you never cut in", "you took 63 % of the speaking time (aim for under 50 %)"), so a
sentence can only say what its figure shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

__all__ = ["Band", "FigureDef", "FIGURES", "PACE_BAND", "VERDICT_BANDS", "figure", "band_of", "in_band", "is_fault",
           "target_text", "praise_phrase", "fault_phrase", "finite"]


def finite(value: float | None) -> float | None:
    """``value`` as a float, or None when it was not measured (None, NaN or infinite)."""
    return None if value is None or not math.isfinite(float(value)) else float(value)


@dataclass(frozen=True)
class Band:
    """A closed target interval; ``None`` leaves that side open."""

    lo: float | None = None
    hi: float | None = None

    def contains(self, value: float | None) -> bool | None:
        """True inside the band, False outside, None when the value was not measured."""
        v = finite(value)
        if v is None:
            return None
        return (self.lo is None or v >= self.lo - 1e-9) and (self.hi is None or v <= self.hi + 1e-9)

    def as_list(self) -> list[float | None]:
        return [self.lo, self.hi]


@dataclass(frozen=True)
class FigureDef:
    """One judged figure: a plain name (``label``), its unit, the band and the target in words."""

    name: str
    label: str
    unit: str
    band: Band
    target: str
    praise: Callable[[float], str]
    fault: Callable[[float], str]
    #: outside ``band`` but inside this is neither praised nor a fault (a pause longer than 1 s is
    #: patience, not a fault); None: the band itself
    tolerated: Band | None = None

    def is_fault(self, value: float | None) -> bool | None:
        """Outside the tolerated range: a fault the report may state (None when not measured)."""
        inside = (self.tolerated or self.band).contains(value)
        return None if inside is None else not inside


def _pct(v: float) -> str:
    return f"{v:.0f} %"


def _share(v: float, of: str, only: bool = True) -> str:
    """"none of your turns", "all of your turns", "only 20 % of your turns" (a share in %)."""
    if v <= 0.5:
        return f"none of {of}"
    if v >= 99.5:
        return f"all of {of}"
    return f"{'only ' if only else ''}{_pct(v)} of {of}"


def _times(v: float) -> str:
    k = int(round(v))
    return {0: "no times", 1: "once", 2: "twice"}.get(k, f"{k} times")


def _count(v: float, one: str, many: str) -> str:
    k = int(round(v))
    return f"{k} {one if k == 1 else many}"


PACE_BAND = Band(120.0, 160.0)
"""Calm speaking pace, words a minute: the one pace band every view uses."""

_DEFS = (
    # --- reflect and validate
    FigureDef("reflection_to_question", "reflections for each question", "per question", Band(1.0, None),
              "at least one reflection for each question (two is good)",
              lambda v: f"you reflected {v:.1f} times for each question you asked",
              lambda v: ("you asked questions but did not once say back what you heard (aim for at least one "
                         "reflection for each question)" if v <= 0 else
                         f"you reflected {v:.1f} times for each question you asked (aim for at least 1)")),
    FigureDef("reflections_and_validations_per_turn", "your turns that reflect or validate (a bare \"mm\" aside)",
              "% of your turns",
              Band(40.0, 100.0), "about 40 % of your turns or more",
              lambda v: f"{_pct(v)} of your turns reflected or validated what the client said",
              lambda v: f"{_share(v, 'your turns')} reflected or validated what the client said "
                        "(aim for about 40 % or more)"),
    FigureDef("complex_reflections", "reflections that add meaning", "% of your reflections", Band(40.0, 100.0),
              "about 40 % of your reflections or more (half is good)",
              lambda v: f"{_pct(v)} of your reflections added meaning (a feeling or what matters to the client)",
              lambda v: f"{_pct(v)} of your reflections added meaning (aim for about 40 % or more)"),
    # --- explore
    FigureDef("open_questions", "open questions", "% of your questions on the client's topic", Band(50.0, 100.0),
              "at least half of your questions on the client's topic open (7 in 10 is good)",
              lambda v: f"{_pct(v)} of your questions on the client's topic were open",
              lambda v: f"{_share(v, 'your questions on the client' + chr(39) + 's topic')} were open "
                        "(aim for at least half)"),
    FigureDef("closed_question_runs", "yes/no questions straight after another", "times", Band(0.0, 1.0),
              "no strings of yes/no questions",
              lambda v: "you did not string yes/no questions together",
              lambda v: f"you asked a yes/no question straight after another {_times(v)}"),
    # --- hold back solutions
    FigureDef("advice", "your turns giving advice without asking first", "% of your turns", Band(0.0, 5.0),
              "rarely: about 1 turn in 20 or fewer (one idea after each time you asked is fine)",
              lambda v: "you gave no advice without asking first" if v <= 0
              else f"you seldom gave advice without asking first ({_pct(v)} of your turns)",
              lambda v: f"{_share(v, 'your turns', only=False)} gave advice without asking first "
                        "(aim for 1 in 20 or fewer)"),
    FigureDef("information_and_advice", "your turns giving information or advice", "% of your turns",
              Band(0.0, 25.0), "about a quarter of your turns or fewer",
              lambda v: f"you kept information and advice to {_pct(v)} of your turns",
              lambda v: f"{_share(v, 'your turns', only=False)} gave information or advice (aim for a quarter or fewer)"),
    FigureDef("solution_before_exploration", "fixes offered right after a feeling", "times", Band(0.0, 0.0),
              "none: explore a feeling before any fix",
              lambda v: "you never jumped to a fix right after the client shared a feeling",
              lambda v: f"you offered a fix right after the client shared a feeling {_times(v)}"),
    FigureDef("minimising", "times a feeling was made smaller", "times", Band(0.0, 0.0),
              'none: no "at least…", "don\'t worry"',
              lambda v: "you never made a feeling smaller",
              lambda v: f"you made a feeling smaller {_times(v)} (\"at least\", \"don't worry\")"),
    FigureDef("technical_terms", "technical words the client may not know", "times", Band(0.0, 0.0),
              "none: plain words (\"the day programme\", not \"IOP\")",
              lambda v: "you kept to plain words, no technical terms",
              lambda v: f"you used technical words {_times(v)} (\"IOP\", \"MAT\"): say it in plain words"),
    # --- stay with hard topics
    FigureDef("stayed_after_feeling", "feelings you stayed with", "% of the feelings named", Band(50.0, 100.0),
              "most of them: reflect, validate or ask about the feeling",
              lambda v: f"you stayed with {_pct(v)} of the feelings the client named",
              lambda v: (f"you did not stay with any of the feelings the client named (aim for most)"
                         if v <= 0 else f"you stayed with only {_pct(v)} of the feelings the client named (aim for most)")),
    FigureDef("topic_changes_after_disclosure", "changes of subject after a feeling", "times", Band(0.0, 0.0),
              "none: no change of subject right after a feeling",
              lambda v: "you never changed the subject right after a feeling",
              lambda v: f"you changed the subject right after a feeling {_times(v)}"),
    # --- make space
    FigureDef("helper_talk_share", "your share of the talking", "% of the speaking time", Band(0.0, 50.0),
              "under 50 %: the client talks more",
              lambda v: f"you took {_pct(v)} of the talking, leaving the client the larger share",
              lambda v: f"you took {_pct(v)} of the talking (aim for under 50 %)"),
    FigureDef("interruptions_per_minute", "times you cut in, per minute", "per minute", Band(0.0, 0.0),
              "none: let the client finish",
              lambda v: "you never cut in on the client",
              lambda v: f"you cut in on the client {v:.1f} times a minute (aim for none)"),
    FigureDef("response_pause", "your usual pause before answering", "s", Band(0.5, 1.0),
              "a calm pause, about 0.5-1 s",
              lambda v: f"you left a calm {v:.1f} s pause before answering",
              lambda v: (f"you usually started {abs(v):.1f} s before the client had finished" if v < 0 else
                         f"your usual pause before answering was {v:.1f} s (calm is 0.5-1 s)"),
              tolerated=Band(0.5, None)),
    FigureDef("longest_helper_turn", "your longest turn", "s", Band(0.0, 20.0), "under about 20 s",
              lambda v: f"your turns stayed short (the longest {v:.0f} s)",
              lambda v: f"your longest turn ran {v:.0f} s (aim for under about 20 s)"),
    # --- voice
    FigureDef("speaking_rate", "your pace", "words a minute", PACE_BAND,
              f"a calm {PACE_BAND.lo:.0f}-{PACE_BAND.hi:.0f} words a minute",
              lambda v: f"a calm pace of {v:.0f} words a minute",
              lambda v: f"your pace was {v:.0f} words a minute (calm is {PACE_BAND.lo:.0f}-{PACE_BAND.hi:.0f})"),
    FigureDef("pitch_variation", "how much your voice rises and falls", "semitones", Band(2.5, None),
              "2.5 semitones or more (lively, not flat)",
              lambda v: f"a voice that rises and falls ({v:.1f} semitones)",
              lambda v: f"your voice sounded flat ({v:.1f} semitones; 2.5 or more sounds lively)"),
    FigureDef("level_vs_client", "your loudness against the client's", "dB", Band(-3.0, 3.0),
              "within 3 dB of the client",
              lambda v: "you spoke about as loud as the client",
              lambda v: f"you were {abs(v):.0f} dB {'louder' if v > 0 else 'softer'} than the client (within 3 is even)"),
    FigureDef("rushed_after_disclosure", "rushed replies after a hard moment", "replies", Band(0.0, 0.0),
              "none: slow down after the client shares something hard",
              lambda v: "you never rushed a reply after the client shared something hard",
              lambda v: f"{_count(v, 'reply was', 'replies were')} rushed right after the client shared something hard"),
)

FIGURES: dict[str, FigureDef] = {d.name: d for d in _DEFS}

#: The headline verdict's bands on the 0-100 index (the same marks as ``_verdict`` in the summary).
VERDICT_BANDS: dict[str, Band] = {
    "A good listening session": Band(75.0, 100.0),
    "A mixed session": Band(55.0, 75.0),
    "A session with clear room to grow": Band(0.0, 55.0),
}


def figure(name: str) -> FigureDef | None:
    """The definition of the figure ``name`` (None for a figure the report does not judge)."""
    return FIGURES.get(name)


def band_of(name: str) -> Band | None:
    d = FIGURES.get(name)
    return None if d is None else d.band


def in_band(name: str, value: float | None) -> bool | None:
    """Whether ``value`` of figure ``name`` is inside its band (None: not measured or no band)."""
    d = FIGURES.get(name)
    return None if d is None else d.band.contains(value)


def is_fault(name: str, value: float | None) -> bool | None:
    """Whether ``value`` of figure ``name`` is a fault the report may state (None: not measured or no band)."""
    d = FIGURES.get(name)
    return None if d is None else d.is_fault(value)


def target_text(name: str) -> str:
    d = FIGURES.get(name)
    return "" if d is None else d.target


def praise_phrase(name: str, value: float) -> str:
    return FIGURES[name].praise(float(value))


def fault_phrase(name: str, value: float) -> str:
    return FIGURES[name].fault(float(value))
