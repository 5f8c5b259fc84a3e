"""Text cues of listening quality: per utterance, across turns, and a MITI-style summary.

Entry point: :func:`detect_cues`. Each helper utterance gets one decision
(:func:`analysis.cues.decide.decide_turn`) from the shipped classifier's main behaviour (question,
reflection, input, other; ``analysis/cues/model.py``, trained on AnnoMI; rules when its weights are
absent) and the rules in ``analysis/cues/rules.py`` (validation, affirmation, advice, permission,
minimising, sarcasm, MITI collaboration/autonomy/persuade/confront): its cues, its behaviour code
and so the MITI summary are that decision's codes. Jargon and fillers are added on top; client
feeling disclosure and change/sustain talk come from the classifier or rules.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import analysis.cues.rules as R
from analysis.cues.client import feeling_sense, match_client_feeling
from analysis.cues.decide import decide_turn, lead_statement
from analysis.cues.events import cross_turn_events
from analysis.cues.jargon import jargon_uses
from analysis.cues.miti import miti_summary
from analysis.cues.model import default_model
from analysis.cues.types import (
    BEHAVIOURS,
    CLIENT_CUE_KINDS,
    CUES_VERSION,
    EVENT_KINDS,
    HELPER_CUE_KINDS,
    BehaviourCode,
    Cue,
    CueEvent,
    CueOptions,
    CueResult,
    MitiSummary,
)
from analysis.cues.view import cue_view
from analysis.errors import ParameterError
from analysis.schema import CLIENT, HELPER, Turn

__all__ = [
    "CUES_VERSION",
    "BEHAVIOURS",
    "HELPER_CUE_KINDS",
    "CLIENT_CUE_KINDS",
    "EVENT_KINDS",
    "Cue",
    "CueEvent",
    "CueOptions",
    "CueResult",
    "BehaviourCode",
    "MitiSummary",
    "detect_cues",
    "rule_behaviour",
]

log = logging.getLogger(__name__)

_RULE_CONF = 0.6  # client talk read by rules


def rule_behaviour(text: str, previous_client: str = "") -> tuple[str, str]:
    """Main behaviour and subtype of a helper utterance by rules alone (the decision without a model).

    Returns
    -------
    (behaviour, subtype) : tuple of str
        Behaviour in ``BEHAVIOURS``; subtype "open"/"closed" for questions, "simple"/"complex" for
        reflections, "advice"/"information" for input, "" otherwise.
    """
    d = decide_turn(text, previous_client)
    return d.behaviour, d.subtype


def _previous_client(turns: Sequence[Turn], i: int) -> str:
    for j in range(i - 1, -1, -1):
        if turns[j].role == CLIENT:
            return turns[j].text
    return ""


def _permission_earlier(turns: Sequence[Turn], i: int) -> bool:
    """True when the helper asked permission in one of their previous two turns."""
    seen = 0
    for j in range(i - 1, -1, -1):
        if turns[j].role == HELPER:
            if R.match_permission(turns[j].text):
                return True
            seen += 1
            if seen >= 2:
                break
    return False


def _predict(turns: Sequence[Turn], options: CueOptions, model):
    """Model predictions, or None (rules) when the model is off or unavailable."""
    if not options.use_model:
        return None
    if model is None:
        model = default_model()
    if model is None:
        return None
    return model.predict_session(turns)


def _lead_behaviours(turns: Sequence[Turn], pred, model) -> dict[int, str]:
    """The classifier's reading of what each asking helper turn says before its question, read alone.

    One more pass of the model over the session with those turns cut to their statements
    (:func:`analysis.cues.decide.lead_statement`); only turns the model read as a question.
    """
    cut = {i: lead for i, (b, _) in pred.helper.items()
           if b == "question" and (lead := lead_statement(turns[i].text))}
    if not cut:
        return {}
    model = model if model is not None else default_model()
    if model is None:
        return {}
    again = model.predict_session([replace(t, text=cut[i]) if i in cut else t for i, t in enumerate(turns)])
    return {i: again.helper[i][0] for i in cut if i in again.helper}


def detect_cues(turns: Sequence[Turn], options: CueOptions | None = None, model=None) -> CueResult:
    """Detect the text cues of one session.

    Parameters
    ----------
    turns : sequence of Turn
        The session's utterances in order; ``role`` is ``"helper"`` or ``"client"`` (turns with
        another role are skipped). ``start``/``end`` (seconds) are copied to cues when present.
    options : CueOptions, optional
        Settings; defaults to ``CueOptions()``.
    model : object, optional
        A loaded behaviour model (``analysis.cues.model.BehaviourModel``); the shipped one by default.

    Returns
    -------
    CueResult
        Cues, cross-turn events, behaviour codes and the MITI-style summary. ``partial`` is True
        with ``notes`` when the session has no helper or client speech or is not English.
        Runs in milliseconds per session on one CPU core.
    """
    options = options or CueOptions()
    turns = list(turns)
    bad = next((t for t in turns if not isinstance(t, Turn) or not isinstance(t.text, str)), None)
    if bad is not None:
        raise ParameterError(f"detect_cues needs Turn objects with text; got {type(bad).__name__}: {bad!r:.80}")
    notes: list[str] = []
    helper = [i for i, t in enumerate(turns) if t.role == HELPER and t.text.strip()]
    client = [i for i, t in enumerate(turns) if t.role == CLIENT and t.text.strip()]
    if not turns or not (helper or client):
        return CueResult(notes=("no speech to analyse: the transcript is empty",), partial=True)
    if not helper:
        notes.append("the helper never speaks: no helper cues")
    if not client:
        notes.append("the client never speaks: no client cues or cross-turn events")
    if any(t.role not in (HELPER, CLIENT) for t in turns):
        notes.append("turns without a helper/client role were skipped")
    all_text = " ".join(turns[i].text for i in helper + client)
    if len(R.words(all_text)) >= 8 and R.english_share(all_text) < 0.12:
        notes.append("the text does not look like English: cues were not detected")
        return CueResult(summary=_summary(turns, helper, client, [], [], []), notes=tuple(notes), partial=True)

    pred = _predict(turns, options, model)
    source = "model" if pred is not None else "rules"
    cues: list[Cue] = []
    codes: list[BehaviourCode] = []

    def add(i: int, kind: str, label: str, conf: float, match: str = "", src: str = "rules") -> None:
        if conf >= options.min_confidence:
            t = turns[i]
            cues.append(Cue(i, t.role or "", kind, label, round(float(conf), 3), t.text, match, t.start, t.end, src))

    leads = _lead_behaviours(turns, pred, model) if pred is not None else {}
    for i in helper:
        text = turns[i].text
        prev = _previous_client(turns, i)
        if pred is not None and i in pred.helper:
            b, probs = pred.helper[i]
            d = decide_turn(text, prev, model_behaviour=b, probabilities=probs,
                            model_subtype=pred.subtypes.get(i, ""), permission_before=_permission_earlier(turns, i),
                            lead_behaviour=leads.get(i))
        else:
            probs = {}
            d = decide_turn(text, prev, permission_before=_permission_earlier(turns, i))
        codes.append(BehaviourCode(i, d.behaviour, {k: round(v, 4) for k, v in probs.items()}, d.subtype,
                                   source, d.codes, d.reason, d.model_behaviour))
        for h in d.hits:
            add(i, h.kind, h.label, h.confidence, h.match, h.source)
        jargon = jargon_uses(text)
        if jargon:  # label: the terms as the table names them; match: the first as written
            add(i, "jargon", ", ".join(sorted({u.term for u in jargon})), 0.7, jargon[0].matched)
        fillers = R.count_fillers(text)
        if fillers:
            add(i, "filler", str(len(fillers)), 0.9, fillers[0])

    for i in client:
        text = turns[i].text
        m = match_client_feeling(text)
        if m:
            feel = R.feelings_named(feeling_sense(text))
            add(i, "feeling_disclosure", feel[0] if feel else "", 0.8, m)
        if pred is not None and i in pred.client:
            talk, probs = pred.client[i]
            if talk in ("change", "sustain"):
                add(i, f"{talk}_talk", "", probs.get(talk, 1.0), "", "model")
        else:
            if R.match_sustain_talk(text):
                add(i, "sustain_talk", "", _RULE_CONF, R.match_sustain_talk(text) or "")
            elif R.match_change_talk(text):
                add(i, "change_talk", "", _RULE_CONF, R.match_change_talk(text) or "")

    kinds: dict[int, set[str]] = {}
    labels: dict[int, dict[str, str]] = {}
    for c in cues:
        kinds.setdefault(c.turn_index, set()).add(c.kind)
        labels.setdefault(c.turn_index, {})[c.kind] = c.label
    for code in codes:  # information is a behaviour, not a cue: events need it to see a move away
        if "information" in code.codes:
            kinds.setdefault(code.turn_index, set()).add("information")
    events = cross_turn_events(turns, kinds, labels, options.response_window)
    summary = _summary(turns, helper, client, codes, cues, events)
    return CueResult(tuple(cues), tuple(events), tuple(codes), summary, tuple(notes),
                     partial=bool(notes), classifier=source)


def _summary(turns, helper, client, codes, cues, events) -> MitiSummary:
    """The MITI summary by the one computation scoring also uses (``analysis.cues.miti``)."""
    return miti_summary(turns, cue_view(CueResult(tuple(cues), tuple(events), tuple(codes))))
