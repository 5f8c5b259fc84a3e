"""The sub-scores that need audio: make space (talk share, interruptions, patience) and voice.

Both read the timing and prosody stages' own results (:class:`~analysis.timing.types.TimingMetrics`,
:class:`~analysis.prosody.types.ProsodyResult`); from a text-only transcript "make space" falls back
on the helper's share of words and "voice" is not measured.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from analysis.prosody.types import ProsodyResult, ProsodySummary
from analysis.report.figures import PACE_BAND, finite, target_text
from analysis.report.glossary import percent
from analysis.report.types import Evidence, ScorePart
from analysis.schema import CLIENT, HELPER, Turn
from analysis.scoring.util import evidence, quote, ramp, weighted
from analysis.timing.types import TimingEvent, TimingMetrics

__all__ = ["make_space", "voice"]

Result = tuple[float | None, list[ScorePart], dict[str, Any]]


def _words(t: Turn) -> int:
    return len(t.text.split())


def _speaker_of(turns: Sequence[Turn], role: str) -> str:
    return next((t.speaker for t in turns if t.role == role), role)


def _event_evidence(events: Sequence[TimingEvent], note: str, turns: Sequence[Turn],
                    positive: bool = False) -> list[Evidence]:
    """Evidence for timing events; the quote is always one speaker's words, labelled with them.

    The event's own words (``text``) are the helper's; when Whisper kept none (a short "mm-hmm"
    is often dropped), the client's words it came in on (``before``) are quoted and labelled as
    the client's, with the note saying what the helper did there.
    """
    out = []
    for e in events:
        role = str(e.speaker or HELPER)
        other = str(e.other or (CLIENT if role == HELPER else HELPER))
        text = e.text.strip()
        before = e.before.strip()
        if text:
            quote, who, why = text, role, note
        elif before:
            quote, who, why = f"…{before}", other, f"{note} (the {role}'s words were too short to transcribe)"
        else:
            continue
        out.append(Evidence(speaker=_speaker_of(turns, who), role=who if who in (HELPER, CLIENT) else None,
                            quote=quote, start=round(max(0.0, e.start), 2),
                            end=round(max(0.0, e.end), 2), note=why, positive=positive))
    return out


def make_space(turns: Sequence[Turn], timing: TimingMetrics | None) -> Result:
    """Helper talk share (time, else words), interruptions per minute, patience, longest monologue.

    ``timing`` is the timing stage's result; without it (text only) the helper's share of
    words is the only part. On one microphone (``timing.overlaps_measured`` false) cut-ins and
    the pause before answering are not measured: they are left out, never shown as 0.
    """
    helper_w = sum(_words(t) for t in turns if t.role == HELPER)
    client_w = sum(_words(t) for t in turns if t.role == CLIENT)
    try_instead = ("Let a pause sit for two seconds after the client stops; if they go on, "
                   'just say "mm-hmm" and let them finish.')
    share = None if timing is None else finite(timing.talk_share_helper)
    basis = "speaking time"
    if share is None:
        if helper_w == 0 or client_w == 0:
            return None, [], {"summary": "Not measured: both the helper and the client need to speak.",
                              "try_instead": try_instead}
        share, basis = helper_w / (helper_w + client_w), "words"
    parts = [ScorePart("helper_talk_share", round(100 * share, 1), f"% of the {basis}", ramp(share, 0.75, 0.45),
                       0.5, target_text("helper_talk_share"))]
    seen = timing is not None and timing.overlaps_measured
    minutes = max(timing.duration if timing is not None else 0.0, 30.0) / 60.0
    interruptions = list(timing.interruptions) if seen else []
    backchannels = list(timing.backchannels) if seen else []
    if seen:
        rate = len(interruptions) / minutes
        parts.append(ScorePart("interruptions_per_minute", round(rate, 2), "per minute", ramp(rate, 2.0, 0.0),
                               0.25, target_text("interruptions_per_minute")))
    latency = finite(timing.latency.median) if seen else None
    if latency is not None:
        parts.append(ScorePart("response_pause", round(latency, 2), "s", ramp(latency, -0.2, 0.7), 0.15,
                               target_text("response_pause")))
    mono = None if timing is None or timing.longest_helper_monologue is None else timing.longest_helper_monologue.duration
    if mono is not None:
        parts.append(ScorePart("longest_helper_turn", round(mono, 1), "s", ramp(mono, 60.0, 20.0), 0.1,
                               target_text("longest_helper_turn")))
    ev = [replace(e, figure="interruptions_per_minute", try_instead=_let_finish(cut))
          for cut in interruptions[:3]
          for e in _event_evidence([cut], "you cut in while the client was talking", turns)]
    ev += [replace(e, figure="interruptions_per_minute") for e in _event_evidence(
        backchannels[:1], "a short \"mm-hmm\" while the client talked: listening without taking over", turns,
        positive=True)]
    room = max((t for t in turns if t.role == CLIENT), key=_words, default=None)
    if room is not None and share <= 0.5:  # the moment that shows the room the client had
        let_finish = " and you let them finish" if seen and not interruptions else ""
        ev += [replace(e, figure="helper_talk_share")
               for e in evidence([room], f"the client's longest turn: room to talk{let_finish}", positive=True)]
    longest = max((t for t in turns if t.role == HELPER), key=_words, default=None)
    if longest is not None and share > 0.5:
        ev += [replace(e, figure="helper_talk_share",
                       try_instead=f'Instead of the long turn "{_short(e.quote)}", say one short sentence and '
                                   'hand it back: "What do you make of that?"')
               for e in evidence([longest], "your longest turn")]
    summary = f"You took {percent(share)} % of the {basis} (aim for under 50 %)"
    if seen:
        summary += (f"; times you cut in on the client: {len(interruptions)}; short \"mm-hmm\"s while "
                    f"the client talked: {len(backchannels)}")
    elif timing is not None:
        summary += "; cut-ins and pauses are not measured with one microphone"
    if latency is not None:
        summary += (f"; you usually started {abs(latency):.1f} s before the client had finished" if latency < 0
                    else f"; your usual pause before answering was {latency:.1f} s (calm is 0.5-1 s)")
    summary += "."
    if interruptions:
        try_instead = _let_finish(interruptions[0])
    return weighted(parts), parts, {"summary": summary, "try_instead": try_instead, "evidence": tuple(ev)}


def _let_finish(cut: TimingEvent) -> str:
    """What to do instead at a cut-in, in the client's own words where they were heard."""
    before, said = _short(cut.before.strip()), _short(cut.text.strip())
    came = f' instead of coming in with "{said}"' if said else ""
    if before:
        return (f'When the client is saying "…{before}", let them finish{came}; if you must come in, '
                'a short "mm-hmm" keeps them going.')
    return (f"Let the client finish{came}; a short \"mm-hmm\" keeps them going.")


def _short(text: str) -> str:
    """A quoted moment shortened for a try-instead line (a cut-in quote's leading "…" dropped)."""
    return quote(text.lstrip("…"), 80)


def voice(turns: Sequence[Turn], prosody: ProsodyResult | None) -> Result:
    """Helper speaking rate (wpm), pitch variation (semitones), level vs the client (dB)."""
    lo, hi = PACE_BAND.lo, PACE_BAND.hi
    try_instead = ("Let your voice rise and fall naturally, as if talking to a friend, at a calm pace "
                   f"(about {lo:.0f}-{hi:.0f} words a minute).")
    if not prosody:
        return None, [], {"summary": "Not measured: no audio or the prosody stage did not run.",
                          "try_instead": try_instead}
    helper: ProsodySummary | None = prosody.speaker(HELPER)
    rate = None if helper is None else finite(helper.wpm)
    pitch = None if helper is None else finite(helper.pitch_sd_st)
    diff_db = finite(prosody.helper_minus_client_db)
    if diff_db is None:
        client = prosody.speaker(CLIENT)
        h_db = None if helper is None else finite(helper.energy_db)
        c_db = None if client is None else finite(client.energy_db)
        diff_db = None if h_db is None or c_db is None else h_db - c_db
    parts = []
    if rate is not None:
        off = max(0.0, lo - rate, rate - hi)
        parts.append(ScorePart("speaking_rate", round(rate, 1), "words a minute", ramp(off, 60.0, 0.0), 0.45,
                               target_text("speaking_rate")))
    if pitch is not None:
        parts.append(ScorePart("pitch_variation", round(pitch, 2), "semitones", ramp(pitch, 0.8, 2.5), 0.35,
                               target_text("pitch_variation")))
    if diff_db is not None:
        parts.append(ScorePart("level_vs_client", round(diff_db, 1), "dB", ramp(abs(diff_db), 12.0, 3.0), 0.2,
                               target_text("level_vs_client")))
    rushed = [int(i) for i in prosody.rushed_after_disclosure]
    by_index = {t.index: t for t in turns}
    rushed_turns = [by_index[i] for i in rushed if i in by_index]
    if helper is not None and helper.n_words:
        n_helper = max(1, sum(1 for t in turns if t.role == HELPER))
        parts.append(ScorePart("rushed_after_disclosure", float(len(rushed_turns)), "replies",
                               ramp(len(rushed_turns) / n_helper, 0.3, 0.0), 0.15,
                               target_text("rushed_after_disclosure")))
    score = weighted(parts)
    if score is None:
        return None, parts, {"summary": "Not measured: no helper voice measurements.", "try_instead": try_instead}
    bits = []
    if rate is not None:
        bits.append(f"pace {rate:.0f} words a minute (calm is {lo:.0f}-{hi:.0f})")
    if pitch is not None:
        bits.append(f"voice rise and fall {pitch:.1f} semitones ({'lively' if pitch >= 2.5 else 'flat'}; "
                    "2.5 or more sounds lively)")
    if diff_db is not None:
        louder = "louder" if diff_db >= 0 else "softer"
        bits.append(f"{abs(diff_db):.0f} dB {louder} than the client (within 3 is even)")
    if rushed_turns:
        k = len(rushed_turns)
        bits.append(f"{k} rushed {'reply' if k == 1 else 'replies'} right after the client shared something hard")
    ev = [replace(e, figure="rushed_after_disclosure",
                  try_instead=f'Before answering with "{_short(e.quote)}", take a breath and say it a little slower.')
          for e in evidence(rushed_turns[:3], "a rushed reply right after the client shared something hard")]
    if rate is not None and rate > hi:
        try_instead = (f"Slow down: you spoke at {rate:.0f} words a minute; aim for {lo:.0f}-{hi:.0f}, and take a "
                       "breath before you answer a feeling.")
    elif rushed_turns:
        try_instead = "After the client shares something hard, take a breath and answer a little slower."
    return score, parts, {"summary": "Your voice: " + "; ".join(bits) + ".", "try_instead": try_instead,
                          "evidence": tuple(ev)}


def _n(k: int, noun: str) -> str:
    return f"no {noun}s" if k == 0 else f"{k} {noun}" + ("" if k == 1 else "s")


def _times(k: int) -> str:
    return {0: "no times", 1: "once", 2: "twice"}.get(k, f"{k} times")
