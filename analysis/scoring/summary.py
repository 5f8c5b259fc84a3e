"""The summary a trainee reads first: a headline, up to three priorities, one strength.

:func:`build_summary` is the one pure function that decides what is a strength and what to work
on; :func:`with_summary` applies it to a :class:`~analysis.report.types.Report`. Every sentence it
makes is a claim built from named figures (a sub-score's parts, each read against its one band in
:mod:`analysis.report.figures`) and carries them in ``because``:

- a **priority** is stated only where the session shows the fault: a judged sub-score with a
  figure outside its band and a quoted moment of that fault; its message states those figures,
  its quote is that moment and its try-instead speaks about that same moment; ranked by *gain*,
  the points the 0-100 score would rise if the sub-score reached 100; at most :data:`MAX_PRIORITIES`;
- the **strength** is a judged listening sub-score (not :data:`NOT_PRAISED`: voice is delivery, not
  listening) scoring :data:`STRENGTH_AT` or more that shows no fault; when a part about the words
  (:data:`WORDS`) is a priority, the strength is about the words too; when staying with hard topics
  is a priority for changes of subject after feelings, open questions (explore) are not praised;
  it cites only figures inside their band (all of them first; otherwise the in-band ones, when
  they carry at least half of its measured weight), and keeps only its positive evidence;
- the **headline verdict** cites the index against the verdict's band;
- a moment praised somewhere is not also quoted as a fault elsewhere, except by a sub-score
  about delivery (:data:`DELIVERY`), whose quote then says the words were good;
- a report that is partial, has no score, or whose helper or client never speaks is not
  judged: no priorities, no strength, empty lists, and a headline that says why;
- a measured sub-score that is not judged (:attr:`SubScore.judged`) still counts in the index as
  computed, but it is never a priority or the strength;
- when mono diarization was unsure whether one or two people speak and the helper's order was
  not given, the headline says so and asks for the order or a stereo recording; when a given order
  contradicts a confident guess, the headline leads with that.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Collection, Mapping, Sequence

from analysis.report.figures import VERDICT_BANDS, fault_phrase, praise_phrase
from analysis.report.glossary import percent
from analysis.report.types import (
    FIRM_CONFIDENCE,
    Because,
    Evidence,
    Priority,
    Report,
    ScorePart,
    Strength,
    SubScore,
    Summary,
)
from analysis.schema import CLIENT, HELPER, Turn
from analysis.speakers.order_check import order_conflict, order_headline, order_sentence
from analysis.speakers.result import SpeakerResult
from analysis.scoring.confidence import CONFIDENCE_TURNS, helper_turns
from analysis.scoring.util import CLASSIFIER_SURE

__all__ = ["STRENGTH_AT", "UNSURE_SPEAKERS", "ORDER_HOLD", "confirm_given_order", "speakers_uncertain", "DELIVERY", "DELIVERY_NOTE", "MAX_PRIORITIES", "CLASSIFIER_SURE", "build_summary", "with_summary", "gain",
           "mark_unsure", "upgrade_report"]

logger = logging.getLogger(__name__)

STRENGTH_AT = 70.0
# Sub-scores about how something was said (timing, voice), not what: a moment praised for its
# words may still be quoted there, with this note.
DELIVERY = ("make_space", "voice")
DELIVERY_NOTE = "the words were good; this is about how it was said"
MAX_PRIORITIES = 3
#: Parts never named as the one thing to keep doing: "Keep doing" names a listening behaviour (what
#: was said, the room left to the client); voice is delivery, shown with its figures in its part.
NOT_PRAISED = ("voice",)
#: The parts about what the helper said. When one of them is a priority, the strength is one of them
#: too: praising the room left (make space) beside words that need work rewards the wrong thing.
WORDS = ("reflect_validate", "explore", "hold_back", "stay_with")
#: Parts praised for moments they count (reflections, open questions, feelings stayed with): "keep doing"
#: needs the behaviour at least this often, a pattern rather than a single moment
COUNTED = ("reflect_validate", "explore", "stay_with")
MIN_PRAISED_MOMENTS = 2
#: Between parts with the same score, the strength named: reflecting and validating first, then open
#: questions, staying with hard topics, holding back and the room left (the order the training names
#: what a good helper does), never the weights fitted for the index
PRAISE_ORDER = ("reflect_validate", "explore", "stay_with", "hold_back", "make_space")
#: what the headline adds when the given speaking order contradicts a confident guess and is not confirmed
ORDER_HOLD = ("What to try and what to keep are held back until the order is settled: use the other order, "
              "or confirm this one.")
#: what the headline adds when the two voices could not be told apart and no order was given
UNSURE_SPEAKERS = ("The two voices were hard to tell apart, so some words may be given to the wrong person: "
                   "say whether the helper speaks first or second, or record in stereo (one microphone each).")


def speakers_uncertain(speakers: SpeakerResult | None, settings: Mapping[str, Any] | None = None) -> bool:
    """The diarizer was unsure whether one or two people speak, and the helper's order was not given."""
    if speakers is None or not speakers.activity.uncertain_count:
        return False
    if (settings or {}).get("helper_speaker"):
        return False
    return speakers.roles is None or speakers.roles.method != "given"


def gain(sub: SubScore, subscores: Mapping[str, SubScore]) -> float:
    """Points the 0-100 score would rise if ``sub`` reached 100 (weights renormalised over the measured)."""
    total = sum(s.weight for s in subscores.values() if s.score is not None and s.weight > 0)
    if sub.score is None or total <= 0:
        return 0.0
    return round(sub.weight / total * (100.0 - sub.score), 1)


def _not_judged_reason(index: float | None, partial: bool, notes: Sequence[str], turns: Sequence[Turn],
                       kind: str, uncertain: bool = False) -> str | None:
    roles = {t.role for t in turns if t.text.strip()}
    if not any(t.text.strip() for t in turns):
        return "there is no speech in the transcript to judge"
    if kind == "audio" and len({t.speaker for t in turns}) < 2:
        if uncertain:
            return ("only one voice was found, but there may be two that sound alike. Say whether the helper "
                    "speaks first or second, or record in stereo (one microphone each)")
        return "only one voice was found, and listening needs both the helper and the client"
    if HELPER not in roles:
        return "the helper never speaks, so there is nothing of theirs to judge"
    if CLIENT not in roles:
        return "the client never speaks, so listening cannot be judged"
    if index is None:
        return "too little could be measured to give a score"
    if partial:
        first = next((n for n in notes if n), "part of the analysis could not run")
        return f"part of the analysis could not run ({first.rstrip('.')})"
    return None


def _verdict(index: float) -> str:
    if index >= 75:
        return "A good listening session"
    if index >= 55:
        return "A mixed session"
    return "A session with clear room to grow"


def _moment(e: Evidence) -> tuple:
    return (e.role, e.start, e.quote)


def build_summary(index: float | None, subscores: Mapping[str, SubScore], turns: Sequence[Turn], *,
                  partial: bool = False, notes: Sequence[str] = (), kind: str = "audio",
                  uncertain_speakers: bool = False, hold_claims: bool = False
                  ) -> tuple[Summary, dict[str, SubScore], tuple[str, ...], tuple[str, ...]]:
    """Decide the headline, priorities and strength, and make the sub-scores agree with them.

    Parameters
    ----------
    index : float or None
        The 0-100 score.
    subscores : mapping of str to SubScore
    turns : sequence of Turn
    partial : bool
        The report is partial (a stage was skipped or failed).
    notes : sequence of str
        The report's notes (the first says why a partial report is partial).
    kind : str
        "audio" or "text".
    uncertain_speakers : bool
        Mono diarization was unsure whether one or two people speak and no order was given
        (:func:`speakers_uncertain`): the headline says so.
    hold_claims : bool
        The given speaking order contradicts what was heard and is not confirmed: no priority and no
        strength are stated, and the headline says they are held back (:data:`ORDER_HOLD`).

    Returns
    -------
    (Summary, dict, tuple, tuple)
        The summary, the sub-scores (strengths without try-instead or fault quotes; no moment
        both praised and faulted), the ``strengths`` and the ``work_on`` lines.
    """
    reason = _not_judged_reason(index, partial, notes, turns, kind, uncertain_speakers)
    # only judged sub-scores (sure enough to show a number) can be a strength or something to work on
    measured = [s for s in subscores.values() if s.judged]
    # A part that shows a fault (a figure outside its band, with a moment of it) is never praised,
    # whatever its score: its fault can be a priority instead.
    faulty = {s.name for s in subscores.values() if s.score is not None and _shows_fault(s)}
    strong = {s.name for s in measured if s.score >= STRENGTH_AT and s.name not in faulty and s.name not in NOT_PRAISED}
    # which quotes to keep follows the score alone (judged or not), so no moment is read two ways
    scored = [s for s in subscores.values() if s.score is not None]
    high = {s.name for s in scored if s.score >= STRENGTH_AT and s.name not in faulty}
    # A moment read two ways by the text sub-scores (praised in one, faulted in another) is doubtful:
    # a strength keeps its praise and the fault goes; otherwise the praise goes and the fault stays.
    praised = {_moment(e) for s in scored if s.name in high for e in s.evidence if e.positive}
    faulted = {_moment(e) for s in scored if s.name not in high and s.name not in DELIVERY
               for e in s.evidence if not e.positive}
    cleaned: dict[str, SubScore] = {}
    for name, s in subscores.items():
        if name in high:
            s = replace(s, try_instead="", evidence=tuple(e for e in s.evidence if e.positive))
        elif name in DELIVERY:  # how it was said: keep the moment, say the words were fine
            s = replace(s, evidence=tuple(
                replace(e, note=f"{e.note}; {DELIVERY_NOTE}" if e.note else DELIVERY_NOTE)
                if not e.positive and _moment(e) in praised else e for e in s.evidence))
        else:
            s = replace(s, evidence=tuple(
                e for e in s.evidence
                if (e.positive and _moment(e) not in faulted) or (not e.positive and _moment(e) not in praised)))
        cleaned[name] = s
    praised_any = {_moment(e) for s in cleaned.values() for e in s.evidence if e.positive}
    for name in DELIVERY:  # a delivery fault on a moment praised by a sub-score that is not a strength
        if name in cleaned and name not in high:
            s = cleaned[name]
            cleaned[name] = replace(s, evidence=tuple(
                replace(e, note=f"{e.note}; {DELIVERY_NOTE}") if not e.positive and _moment(e) in praised_any
                and DELIVERY_NOTE not in e.note else e for e in s.evidence))
    if reason is not None:
        headline = f"No score for this session: {reason}."
        if uncertain_speakers and "sound alike" not in reason:
            headline += " " + UNSURE_SPEAKERS
        return Summary(headline=headline, judged=False), cleaned, (), ()
    if index is None:  # unreachable: a missing score is a reason above
        return Summary(headline="No score for this session.", judged=False), cleaned, (), ()
    measured = [cleaned[s.name] for s in measured]
    claims = {s.name: _fault_claim(s, cleaned) for s in measured if s.name not in strong}
    weak = sorted((s for s in measured if claims.get(s.name) is not None),
                  key=lambda s: (-gain(s, cleaned), s.name))
    picked: list[Priority] = []
    used: set[tuple] = set()
    for s in weak[:MAX_PRIORITIES]:
        p = _fault_claim(s, cleaned, used)
        if p.evidence is not None:
            used.add(_moment(p.evidence))
        picked.append(p)
    priorities = tuple(picked)
    praise = {s.name: _praise_claim(s) for s in measured if s.name in strong}
    # the strength: every cited figure in its band and a moment that shows it (a part with nothing to
    # quote, such as "no advice" alone, is not praised); a sure quote first, then the words before the room
    # left (what was said is what the training teaches first; the room left is praised where nothing said
    # can be), then a part whose figures are all in band, then the highest score, then PRAISE_ORDER
    best = sorted((s for s in measured if praise.get(s.name) is not None and praise[s.name][0].evidence is not None),
                  key=lambda s: (praise[s.name][0].evidence.unsure, s.name in DELIVERY, not praise[s.name][1],
                                 -(s.score or 0), _praise_rank(s.name), s.name))
    if any(p.subscore in WORDS for p in priorities):  # the words need work: praise words, not quiet
        best = [s for s in best if s.name in WORDS]
    if any(p.subscore == "stay_with" and any(b.figure == "topic_changes_after_disclosure" and b.in_band is False
                                             for b in p.because) for p in priorities):
        # the subject was changed after feelings: questions that move on are no exploring, so asking is not praised
        best = [s for s in best if s.name != "explore"]
    strength = praise[best[0].name][0] if best else None
    unjudged = [s for s in cleaned.values() if s.score is not None and not s.judged]
    verdict_because: tuple[Because, ...] = ()
    if not measured and unjudged:  # the whole score rests on little
        why = unjudged[0].not_judged_reason
        headline = (f"Only a rough reading: {percent(index / 100.0)} out of 100. Not enough to judge any part "
                    f"of your listening yet: {why}.")
        if helper_turns(turns) < CONFIDENCE_TURNS:
            headline += f" A longer role-play (about {CONFIDENCE_TURNS:.0f} of your turns or more) gives a score you can trust."
    else:
        verdict = _verdict(index)
        verdict_because = (Because("index", index, VERDICT_BANDS[verdict], "out of 100", "listening score"),)
        headline = f"{verdict}: {percent(index / 100.0)} out of 100."
    caution = ""
    if measured and any(s.confidence is not None and s.confidence < FIRM_CONFIDENCE for s in measured) \
            and helper_turns(turns) < CONFIDENCE_TURNS:
        caution = (f" A first reading: it rests on only {helper_turns(turns)} of your turns; a longer role-play "
                   f"(about {CONFIDENCE_TURNS:.0f} of your turns or more) gives a firmer one.")
    held = hold_claims and (priorities or strength is not None)
    if held:  # the given speaking order is in doubt: what to try and keep may be about the client's words
        priorities, strength, best, weak = (), None, [], []
    if strength is not None:
        headline += f" Keep doing this: {strength.label.lower()}."
    if priorities:
        headline += f" The biggest step up: {priorities[0].label.lower()}."
    headline += caution
    if uncertain_speakers:
        headline += " " + UNSURE_SPEAKERS
    if held:
        headline += " " + ORDER_HOLD
    strengths = tuple(f"{s.label}: {praise[s.name][0].message}" for s in best)
    work_on = tuple(f"{s.label}: {claims[s.name].message}"
                    + (f" Try instead: {claims[s.name].try_instead}" if claims[s.name].try_instead else "")
                    for s in weak)
    return (Summary(headline, True, priorities, strength, verdict_because), cleaned, strengths, work_on)


def _praise_rank(name: str) -> int:
    return PRAISE_ORDER.index(name) if name in PRAISE_ORDER else len(PRAISE_ORDER)


def _shows_fault(s: SubScore) -> bool:
    """A figure of ``s`` is outside its band and ``s`` quotes a moment of it."""
    out = {p.name for p in _cited(s.parts) if p.fault}
    return any(not e.positive and e.figure in out for e in s.evidence)


def _sentence(phrases: Sequence[str]) -> str:
    text = "; ".join(phrases)
    return text[:1].upper() + text[1:] + "."


def _cited(parts: Sequence[ScorePart]) -> list[ScorePart]:
    """The parts a claim can cite: measured figures with a band that count in the score, the heaviest first
    (a figure shown but not scored, such as technical words, is listed in its part, never a claim's reason)."""
    return sorted((p for p in parts if p.value is not None and p.in_band is not None and p.weight > 0),
                  key=lambda p: -p.weight)


def _fault_claim(s: SubScore, subscores: Mapping[str, SubScore], used: Collection[tuple] = ()) -> Priority | None:
    """The priority ``s`` supports, or None: it needs a figure outside its band and a moment of that fault.

    The message states the figures outside their band (the heaviest two), the quote is a moment of
    one of them (the heaviest with a moment; a sure one first) and the try-instead speaks about
    that same moment.
    """
    out = [p for p in _cited(s.parts) if p.fault]
    if not out:
        return None
    names = [p.name for p in out]
    moments = [e for e in s.fault_moments() if e.figure in names]  # explore needs two (SubScore.fault_moments)
    if not moments:
        return None
    moments.sort(key=lambda e: (e.unsure, _moment(e) in used, names.index(e.figure), e.role != HELPER))
    quote = moments[0]
    shown = out[:2] if quote.figure in names[:2] else [out[0], next(p for p in out if p.name == quote.figure)]
    message = _sentence([fault_phrase(p.name, p.value) for p in shown])
    return Priority(subscore=s.name, label=s.label, message=message, gain=gain(s, subscores),
                    evidence=replace(quote, note="", try_instead="", figure=""),
                    try_instead=quote.try_instead or s.try_instead,
                    because=tuple(Because.of_part(p) for p in shown))


def _praise_claim(s: SubScore) -> tuple[Strength, bool] | None:
    """The strength ``s`` supports, citing only figures inside their band, and whether it cites them all.

    None when the figures inside their band carry less than half of the part's measured weight, or
    when a :data:`COUNTED` part shows fewer than :data:`MIN_PRAISED_MOMENTS` moments of what it praises, or
    make space when cut-ins were not measured.
    """
    cited = _cited(s.parts)
    good = [p for p in cited if p.in_band]
    if not good or sum(p.weight for p in good) < 0.5 * sum(p.weight for p in cited):
        return None
    names = {p.name for p in good}
    items = [e for e in s.evidence if e.positive and e.figure in names and e.quote and not e.quote.startswith("(")]
    if s.name in COUNTED and len(items) < MIN_PRAISED_MOMENTS:
        return None
    if s.name == "make_space" and s.part_value("interruptions_per_minute") is None:
        return None  # room left is not shown while cut-ins went unmeasured (one microphone): they may be there
    items.sort(key=lambda e: (e.unsure, e.role != HELPER))
    quote = replace(items[0], note="", figure="", try_instead="") if items else None
    message = _sentence([praise_phrase(p.name, p.value) for p in good])
    return (Strength(subscore=s.name, label=s.label, message=message, evidence=quote,
                     because=tuple(Because.of_part(p) for p in good)), len(good) == len(cited))


def mark_unsure(subscores: Mapping[str, SubScore], turns: Sequence[Turn],
                probs: Mapping[int, Mapping[str, float]] | None = None) -> dict[str, SubScore]:
    """Give each evidence item the role of the turn it quotes, and mark doubtful quotes unsure.

    A quote is unsure when its turn holds a word Whisper was unsure of (already set by
    :func:`analysis.scoring.util.evidence`) or when the classifier's top probability for the
    turn's code is under :data:`CLASSIFIER_SURE`.
    """
    by_start = {(t.role, None if t.start is None else round(max(0.0, t.start), 2)): t for t in turns}
    out = {}
    for name, s in subscores.items():
        items = []
        for e in s.evidence:
            t = by_start.get((e.role, e.start))
            unsure = e.unsure
            if t is not None and probs and t.index in probs and probs[t.index]:
                unsure = unsure or max(probs[t.index].values()) < CLASSIFIER_SURE
            items.append(replace(e, unsure=unsure))
        out[name] = replace(s, evidence=tuple(items))
    return out


def with_summary(report: Report) -> Report:
    """The report with its summary, strengths, work-on lines and sub-scores made to agree.

    When the speaking order the user gave contradicts a confident guess from what each voice says
    (:func:`analysis.speakers.order_check.order_headline`), the headline leads with that sentence.
    """
    conflict = order_headline(report.speakers)
    notes = tuple(n for n in report.notes if n != conflict)
    # what to try and what to keep would be about the client's words if the given order is wrong: they
    # wait until the order is confirmed (or the session is analysed with the other one)
    summary, subs, strengths, work_on = build_summary(
        report.index, report.subscores, report.turns, partial=report.partial, notes=notes,
        kind=report.kind, uncertain_speakers=speakers_uncertain(report.speakers, report.settings),
        hold_claims=conflict is not None)
    if conflict:
        summary = replace(summary, headline=f"{conflict} {summary.headline}")
    return replace(report, summary=summary, subscores=subs, strengths=strengths, work_on=work_on)


def confirm_given_order(report: Report) -> Report:
    """The report with the user's speaking order confirmed: the order check kept on record (marked
    ``confirmed``), its warning dropped from the notes, and the summary said in full again.

    Unchanged when there is no unconfirmed conflict."""
    check = order_conflict(report.speakers)
    if check is None:
        return report
    sentence = order_sentence(check)
    roles = replace(report.speakers.roles, check=replace(check, confirmed=True))
    speakers = replace(report.speakers, roles=roles)
    settings = {**dict(report.settings or {}), "order_confirmed": True}
    notes = tuple(n for n in report.notes if n != sentence)
    return with_summary(replace(report, speakers=speakers, settings=settings, notes=notes))


def upgrade_report(d: Mapping[str, Any]) -> Report:
    """Read a stored report of any version; a version-1 report gets its summary computed now."""
    report = Report.from_dict(dict(d))
    if int(d.get("report_version", 1)) < 2:
        report = with_summary(report)
    return report
