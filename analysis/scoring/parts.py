"""The text sub-scores: reflect & validate, explore, hold back solutions, stay with hard topics.

Each function returns ``(score, parts, extra)``: the 0-100 score (``None``
when not measured), its :class:`ScorePart` list and keyword fields for
:class:`SubScore` (summary, try_instead, evidence). Timing and voice live in
:mod:`analysis.scoring.audio`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from analysis.cues.events import asks_about, is_backchannel_turn
from analysis.cues.jargon import jargon_uses
from analysis.cues.text import is_backchannel, yes_no_form
from analysis.cues.view import CueView
from analysis.report.figures import target_text
from analysis.report.glossary import percent
from analysis.report.types import Evidence, JargonNote, ScorePart
from analysis.schema import CLIENT, HELPER, Turn
from analysis.scoring.audio import make_space, voice
from analysis.scoring.util import CLASSIFIER_SURE, evidence, merge_evidence, quote, ramp, transcript_unsure, weighted

__all__ = ["reflect_validate", "explore", "hold_back", "stay_with", "make_space", "voice"]

Result = tuple[float | None, list[ScorePart], dict[str, Any]]

_NO_CUES = "Not measured: the text-cue stage did not run."
_NO_HELPER = "Not measured: the helper never speaks."


def _helper(turns: Sequence[Turn]) -> list[Turn]:
    return [t for t in turns if t.role == HELPER and t.text.strip()]


def _missing(turns: Sequence[Turn], has_cues: bool, try_instead: str) -> Result | None:
    if not has_cues:
        return None, [], {"summary": _NO_CUES, "try_instead": try_instead}
    if not _helper(turns):
        return None, [], {"summary": _NO_HELPER, "try_instead": try_instead}
    return None


def _minimal_reply(turns: Sequence[Turn], pos: int) -> Turn | None:
    """A bare "alright." once the client at ``pos`` has finished, and nothing else before they speak again:
    the whole reply, where a reflection could have gone (a long story answered only with "mm-hmm"s)."""
    client = turns[pos]
    for t in turns[pos + 1:]:
        if t.role == CLIENT and t.text.strip():
            return None
        if (t.role == HELPER and t.text.strip() and t.start is not None and client.end is not None
                and t.start >= client.end - 0.05):
            return t
    return None


def _next_helper(turns: Sequence[Turn], pos: int) -> Turn | None:
    """The helper's reply to the client turn at ``pos``: the first helper turn after it that is
    not a backchannel (a short "mm-hmm" inside the client's turn, however Whisper heard it)."""
    client = turns[pos]
    for t in turns[pos + 1:]:
        if t.role == HELPER and t.text.strip():
            if is_backchannel_turn(t, client):
                continue
            return t
        if t.role == CLIENT and t.text.strip():
            return None
    return None


def _reply_to_feeling(turns: Sequence[Turn], view: CueView) -> Turn | None:
    for pos, t in enumerate(turns):
        if t.role == CLIENT and view.has(t.index, "feeling"):
            reply = _next_helper(turns, pos)
            if reply is not None:
                return reply
    return None


def _feeling_quote(turns: Sequence[Turn], view: CueView) -> str | None:
    for t in turns:
        if t.role == CLIENT and view.has(t.index, "feeling"):
            return t.text.strip()
    return None


def _client_before(turns: Sequence[Turn], t: Turn) -> Turn | None:
    """The client's last turn before the helper turn ``t`` (None at the start)."""
    for u in reversed(turns[: t.index]):
        if u.role == CLIENT and u.text.strip():
            return u
    return None


def _answers_permission(turns: Sequence[Turn], view: CueView, pos: int) -> bool:
    """The client turn at ``pos`` answers the helper's request to share something ("Would it be okay
    if I shared...?" "Sure."): the reply that follows offers what was agreed to, no place for a reflection."""
    for u in reversed(turns[:pos]):
        if u.role == HELPER and u.text.strip():
            return view.has(u.index, "permission")
        if u.role == CLIENT and u.text.strip():
            return False
    return False


def _unheard_replies(turns: Sequence[Turn], view: CueView, heard: Sequence[Turn], skip: set) -> list[Turn]:
    """Helper replies to a client turn that neither reflect nor validate: replies to a feeling first.
    The idea offered once the client agreed to hear it is not among them (see :func:`_answers_permission`)."""
    out = []
    for pos, t in enumerate(turns):
        if t.role != CLIENT or not t.text.strip() or _answers_permission(turns, view, pos):
            continue
        reply = _next_helper(turns, pos) or _minimal_reply(turns, pos)
        if reply is not None and reply not in heard and reply not in skip and reply not in out:
            out.append(reply)
    return sorted(out, key=lambda r: (not any(view.has(c.index, "feeling") for c in [_client_before(turns, r)]
                                              if c is not None), r.index))


def _fault(turns: Sequence[Turn], figure: str, note: str, try_instead: str) -> list[Evidence]:
    """Fault moments of ``figure``: each quoted turn carries what to say instead at that moment."""
    return [replace(e, figure=figure, try_instead=try_instead.replace("{quote}", _short(e.quote)))
            for e in evidence(turns, note)]


def _surest(turns: Sequence[Turn], view: CueView) -> list[Turn]:
    """``turns`` with the ones a quote can be sure of first (every word clearly heard, the classifier's
    call at least :data:`~analysis.scoring.util.CLASSIFIER_SURE`), in order otherwise: praise quotes its
    clearest moments."""
    def doubt(t: Turn) -> bool:
        p = view.probs.get(t.index)
        return transcript_unsure(t) or bool(p) and max(p.values()) < CLASSIFIER_SURE
    return sorted(turns, key=doubt)


def _praise(turns: Sequence[Turn], figure: str, note: str) -> list[Evidence]:
    return [replace(e, figure=figure) for e in evidence(turns, note, positive=True)]


def reflect_validate(turns: Sequence[Turn], view: CueView, has_cues: bool) -> Result:
    """Reflections vs questions (MITI R:Q), reflection rate, % complex, validation.

    Every figure counts turns by the one cue decision (``CueView.has``), so the sentence's counts
    and the parts agree: R:Q is reflections per question (the number of reflections when there are
    no questions, as MITI reads it; not measured when there are neither).
    """
    generic = ('Before your next question, say back what you heard: "It sounds like that has been '
               'really hard for you, and part of you is worried it will happen again."')
    gap = _missing(turns, has_cues, generic)
    if gap:
        return gap
    helper = _helper(turns)
    n = len(helper)
    r = [t for t in helper if view.has(t.index, "reflection")]
    q = [t for t in helper if view.has(t.index, "question")]
    cr = [t for t in r if view.has(t.index, "complex_reflection")]
    # validating and affirming remarks ("that makes sense", "that took real courage") count together
    val = [t for t in helper if view.has(t.index, "validation") or view.has(t.index, "affirmation")]
    rq = None if not r and not q else round(len(r) / len(q), 3) if q else float(len(r))
    heard = [t for t in helper if t in r or t in val]
    # the share is of the turns that say something: a bare "Mm." or "Right." keeps the client going and
    # takes no turn from reflecting (MITI leaves such continuers uncoded); all backchannels: the turns themselves
    said = [t for t in helper if t in heard or not is_backchannel(t.text)] or helper
    share = len(heard) / len(said)
    pct_cr = None if not r else round(100.0 * len(cr) / len(r), 1)
    parts = [
        ScorePart("reflection_to_question", rq, "per question", ramp(rq, 0.0, 2.0), 0.45,
                  target_text("reflection_to_question")),
        ScorePart("reflections_and_validations_per_turn", round(100 * share, 1), "% of your turns",
                  ramp(share, 0.0, 0.4), 0.35, target_text("reflections_and_validations_per_turn")),
        ScorePart("complex_reflections", pct_cr, "% of your reflections", ramp(pct_cr, 20.0, 50.0), 0.2,
                  target_text("complex_reflections")),
    ]
    score = weighted(parts)
    ev = _praise(_surest(cr, view)[:2] or _surest(r, view)[:2], "reflection_to_question", "a reflection")
    ev += _praise(_surest([t for t in val if t not in r], view)[:1], "reflections_and_validations_per_turn",
                  "a validating remark")
    if rq is not None and rq < 1.0:  # the questions where a reflection could have gone first
        for t in q[:2]:
            before = _client_before(turns, t)
            heard_text = f'when the client said "{_short(before.text)}", ' if before is not None else ""
            ev += _fault([t], "reflection_to_question", "a question where a reflection could go",
                         f'Before asking "{{quote}}", {heard_text}say back what you heard first: '
                         '"It sounds like that has been weighing on you."')
    if share < 0.4:  # the replies where a reflection could have gone, the client's feelings first
        quoted = set(q[:2]) if rq is not None and rq < 1.0 else set()
        for t in _unheard_replies(turns, view, heard, quoted)[:2]:
            before = _client_before(turns, t)
            said = _short(before.text) if before is not None else "what they shared"
            ev += _fault([t], "reflections_and_validations_per_turn", "your reply where a reflection could go",
                         f'When the client said "{said}", say back what you heard instead of "{{quote}}": '
                         '"It sounds like that has been weighing on you."')
    quote = _feeling_quote(turns, view)
    try_instead = generic
    if quote:
        try_instead = (f'When the client says "{_short(quote)}", reflect it before asking anything: '
                       '"It sounds like that has been weighing on you."')
    bare = n - len(said)
    aside = f" ({bare} only a backchannel such as \"Mm.\", left out of the share)" if bare else ""
    summary = (f"In your {_n(n, 'turn')}{aside}: reflections (saying back what the client said): {len(r)}; "
               f"questions: {len(q)}; validating or affirming remarks: {len(val)}. "
               "Aim to reflect at least as often as you ask.")
    return score, parts, {"summary": summary, "try_instead": try_instead, "evidence": tuple(ev)}


def _n(k: int, noun: str) -> str:
    """"1 question", "3 questions", "no questions"."""
    if k == 0:
        return f"no {noun}s"
    return f"{k} {noun}" + ("" if k == 1 else "s")


def _times(k: int) -> str:
    return {0: "no times", 1: "once", 2: "twice"}.get(k, f"{k} times")


def _short(text: str) -> str:
    return quote(text, 80)


def _follows(turns: Sequence[Turn], question: Turn) -> bool:
    """The question asks about what the client said last (shares a word with it, names a feeling or points back)."""
    before = _client_before(turns, question)
    return before is not None and asks_about(question.text, before.text)


def explore(turns: Sequence[Turn], view: CueView, has_cues: bool) -> Result:
    """Share of open questions and runs of closed questions (not measured when no question was asked)."""
    generic = 'Swap a yes/no question for an open one: "What was that like for you?"'
    gap = _missing(turns, has_cues, generic)
    if gap:
        return gap
    helper = _helper(turns)
    # asking permission ("Would it be okay if I shared something?") holds back (see hold_back); it is no
    # question about the client's story, so it is neither an open nor a closed one here
    asking = [t for t in helper if view.has(t.index, "permission") and view.has(t.index, "question")]
    asked_open = [t for t in helper if view.has(t.index, "open_question") and t not in asking]
    cq = [t for t in helper if view.has(t.index, "closed_question") and t not in asking]
    if not asked_open and not cq and not asking:
        return None, [], {"summary": "Not measured: you asked no questions.",
                          "try_instead": 'Ask one open question: "What has this been like for you?"'}
    # a question that changes the subject (after a feeling, or an explicit "anyway") explores nothing of the
    # client's: it is neither praised nor faulted here but counted under "stay with hard topics"
    changes = {e.turn for e in view.events if e.kind == "topic_avoidance"}
    away = [t for t in helper if t.index in changes and (t in asked_open or t in cq)]
    # an open question counts when it is shown to follow the client (a word of theirs, a feeling, or "that");
    # one that neither follows nor was read as a change of subject is left out either way
    oq = [t for t in asked_open if t not in away and _follows(turns, t)]
    unsure = [t for t in asked_open if t not in away and t not in oq]
    on_topic = len(oq) + len([t for t in cq if t not in away])
    if not on_topic:
        why = ([f"{len(away)} changed the subject (see Stay with hard topics)"] if away else []) + (
            [f"{len(unsure)} did not clearly follow what the client said"] if unsure else []) + (
            [f"{len(asking)} asked permission (see Hold back solutions)"] if asking else [])
        return None, [], {"summary": f"Not measured: of your {_n(len(away) + len(unsure) + len(asking), 'question')}, "
                                     f"{' and '.join(why)}.",
                          "try_instead": 'Ask about what the client just said: "What was that like for you?"'}
    pct = 100.0 * len(oq) / on_topic
    runs = 0
    prev = False
    for t in helper:
        closed = t in cq
        runs += int(closed and prev)
        prev = closed
    parts = [
        ScorePart("open_questions", round(pct, 1), "% of your questions on the client's topic", ramp(pct, 25.0, 70.0), 0.7,
                  target_text("open_questions")),
        ScorePart("closed_question_runs", float(runs), "times", ramp(runs, 4.0, 0.0), 0.3,
                  target_text("closed_question_runs")),
    ]
    # a quote praised as an open question has no yes/no form ("Is your sponsor coming?" is not one, whatever was read)
    ev = _praise(_surest([t for t in oq if not yes_no_form(t.text)], view)[:2], "open_questions", "an open question")
    ev += _fault([t for t in cq if t not in away][:2], "open_questions", "a yes/no question",
                 'Instead of "{quote}", ask openly: "How has that been for you?" or "What would you like to happen?"')
    try_instead = generic
    if cq:
        try_instead = (f'Instead of "{_short(cq[0].text)}", ask openly: '
                       '"How has that been for you?" or "What would you like to happen?"')
    left_out = []
    if away:
        left_out.append(f"{len(away)} changed the subject (a thing for Stay with hard topics)")
    if unsure:
        left_out.append(f"{len(unsure)} of the open ones did not clearly follow what the client said")
    if asking:
        left_out.append(f"{len(asking)} asked permission (a thing for Hold back solutions)")
    n_open = len(asked_open) + sum(1 for t in asking if view.has(t.index, "open_question"))
    n_all = len(asked_open) + len(cq) + len(asking)
    summary = (f"{_n(n_all, 'question')}: {n_open} open, {n_all - n_open} yes/no"
               + (f"; {' and '.join(left_out)}, so they are not counted here" if left_out else "")
               + f" ({percent(pct / 100.0)} % open{' of the rest' if left_out else ''}; aim for at least half).")
    return weighted(parts), parts, {"summary": summary, "try_instead": try_instead, "evidence": tuple(ev)}


def hold_back(turns: Sequence[Turn], view: CueView, has_cues: bool) -> Result:
    """Advice and input share, solution-before-exploration events, minimising."""
    generic = ('Before offering a fix, ask: "What have you already thought about trying?" or '
               '"Would it be OK if I shared an idea?"')
    gap = _missing(turns, has_cues, generic)
    if gap:
        return gap
    helper = _helper(turns)
    n = len(helper)
    advice = [t for t in helper if view.has(t.index, "advice")]
    asked = [t for t in advice if view.has(t.index, "advice_after_permission")]
    unasked = [t for t in advice if t not in asked]
    # Expected information/advice turns: the classifier's probability of "input", or 1 for a turn
    # with an advice cue (hard counts when the cue stage gave no probabilities).
    inputs_exp = sum(1.0 if view.has(t.index, "advice") else view.expected(t.index, "input") for t in helper)
    minimising = [t for t in helper if view.has(t.index, "minimising")]
    sbe = [e for e in view.events if e.kind == "solution_before_exploration"]
    # one idea after each time permission was asked is fine (MITI: advice with permission); more is a lecture
    permissions = sum(1 for t in helper if view.has(t.index, "permission"))
    beyond = max(0, len(asked) - permissions)
    advice_share = (len(unasked) + beyond) / n
    input_share = inputs_exp / n
    parts = [
        ScorePart("advice", round(100 * advice_share, 1), "% of your turns", ramp(advice_share, 0.25, 0.03),
                  0.3, target_text("advice")),
        ScorePart("information_and_advice", round(100 * input_share, 1), "% of your turns",
                  ramp(input_share, 0.5, 0.12), 0.45, target_text("information_and_advice")),
        ScorePart("solution_before_exploration", float(len(sbe)), "times", ramp(len(sbe), 3.0, 0.0), 0.15,
                  target_text("solution_before_exploration")),
        ScorePart("minimising", float(len(minimising)), "times", ramp(len(minimising), 3.0, 0.0), 0.1,
                  target_text("minimising")),
    ]
    jargon = _jargon(helper)
    parts.append(ScorePart("technical_terms", float(len(jargon)), "times", None, 0.0, target_text("technical_terms")))
    by_index = {t.index: t for t in turns}
    sbe_turns = [by_index[e.turn] for e in sbe if e.turn in by_index]
    ev = merge_evidence(
        _fault(sbe_turns[:2], "solution_before_exploration", "a solution before exploring the feeling",
               'Instead of "{quote}", explore the feeling first: "That sounds really hard. What has it been '
               'like for you?"')
        + _fault([t for t in unasked if t not in sbe_turns][:3], "advice", "advice",
                 'Instead of "{quote}", ask first: "What have you already thought about trying?" and, if you '
                 'still want to offer it, "Would it be OK if I shared an idea?"')
        + _fault([t for t in asked if t not in sbe_turns][-beyond:][:1] if beyond and advice_share > 0.05 else [],
                 "advice", "more advice than you asked to share",
                 'You asked first, well done; instead of "{quote}", keep it to one short idea and ask what they '
                 'make of it: "How does that sound to you?"')
        + _fault([t for t in helper if view.has(t.index, "input") and t not in advice][:2]
                 if input_share > 0.25 else [], "information_and_advice", "information",
                 'Instead of "{quote}", find out what the client already knows first: "What do you know about '
                 'that already?"')
        + _fault(minimising[:2], "minimising", "minimising",
                 'Instead of "{quote}", acknowledge it: "That sounds really hard, and it makes sense you feel '
                 'that way."'))[:5]
    if not unasked:  # asking before offering anything: holding back, in a moment
        ev += _praise([t for t in helper if view.has(t.index, "permission")][:1], "advice",
                      "asked before offering an idea")
    ev += [Evidence(speaker=j.speaker, role=j.role, quote=j.quote, start=j.start, end=j.end,
                    note=f'technical word "{j.said}"', figure="technical_terms",
                    try_instead=f'Instead of "{j.said}" in "{_short(j.quote)}", say "{j.plain}".')
           for j in jargon[:2] if not any(e.quote == j.quote and e.start == j.start for e in ev)]
    try_instead = generic
    if unasked:
        try_instead = (f'Instead of "{_short(unasked[0].text)}", ask first: "What have you already thought '
                       'about trying?" and, if you still want to offer it, "Would it be OK if I shared an idea?"')
    elif minimising:
        try_instead = (f'Instead of "{_short(minimising[0].text)}", acknowledge it: '
                       '"That sounds really hard, and it makes sense you feel that way."')
    bits = [f"You gave advice {_times(len(advice))}"
            + (f" ({len(asked)} after asking first)" if asked else "")]
    if sbe:
        bits.append(f"offered a fix {_times(len(sbe))} right after the client shared a feeling")
    if minimising:
        bits.append(f"made a feeling smaller {_times(len(minimising))} (\"at least\", \"don't worry\")")
    summary = ", ".join(bits) + ". Aim to understand first and ask before advising."
    if not advice and not sbe and not minimising:
        summary = (f"You gave no advice; about {percent(input_share)} % of your turns gave information "
                   "(aim for a quarter or fewer).")
    if jargon:
        summary += " Technical words: " + "; ".join(f'"{j.said}" (say "{j.plain}")' for j in jargon[:4]) + "."
    return weighted(parts), parts, {"summary": summary, "try_instead": try_instead, "evidence": tuple(ev),
                                    "jargon": tuple(jargon)}


def _jargon(helper: Sequence[Turn]) -> list[JargonNote]:
    """Each technical term the helper used, with its plain alternative and the turn it was said in."""
    out = []
    for t in helper:
        for u in jargon_uses(t.text):
            q = evidence([t], "")[0]
            out.append(JargonNote(term=u.term, plain=u.plain, said=u.matched, quote=q.quote, start=q.start,
                                  end=q.end, speaker=t.speaker, role=t.role))
    return out


def stay_with(turns: Sequence[Turn], view: CueView, has_cues: bool) -> Result:
    """After the client names a feeling: does the helper stay with it?

    A reply stays with the feeling when the one cue decision reads it as a reflection, a validation
    or an open question (in any words) and not as advice, minimising or a change of subject.
    """
    generic = ('When the client names a feeling, stay with it for one more turn: '
               '"Tell me more about the shame: when does it hit hardest?"')
    gap = _missing(turns, has_cues, generic)
    if gap:
        return gap
    turns = list(turns)
    stayed: list[Turn] = []
    left: list[tuple[Turn, Turn]] = []
    avoid = {e.turn for e in view.events if e.kind == "topic_avoidance"}
    for pos, t in enumerate(turns):
        if t.role != CLIENT or not view.has(t.index, "feeling"):
            continue
        reply = _next_helper(turns, pos)
        if reply is None:
            continue
        good = any(view.has(reply.index, k) for k in ("reflection", "validation", "open_question"))
        bad = any(view.has(reply.index, k) for k in ("advice", "minimising"))
        if good and not bad and reply.index not in avoid:
            stayed.append(reply)
        else:  # a fix, minimising, or a reply the cue stage reads as leaving the feeling (another topic)
            left.append((t, reply))
    total = len(stayed) + len(left)
    if total == 0:
        return None, [], {"summary": "Not measured: the client named no feelings the helper answered.",
                          "try_instead": generic}
    frac = len(stayed) / total
    # changes of subject right after a named feeling (the others count under "explore")
    feelings = {t.index for t in turns if t.role == CLIENT and view.has(t.index, "feeling")}
    avoid_n = len({e.turn for e in view.events if e.kind == "topic_avoidance" and e.cause in feelings}
                  - {t.index for t in stayed})
    parts = [
        ScorePart("stayed_after_feeling", round(100 * frac, 1), "% of the feelings named", ramp(frac, 0.2, 0.9),
                  0.75, target_text("stayed_after_feeling")),
        ScorePart("topic_changes_after_disclosure", float(avoid_n), "times", ramp(avoid_n, 3.0, 0.0), 0.25,
                  target_text("topic_changes_after_disclosure")),
    ]
    ev: list[Evidence] = _praise(_surest(stayed, view)[:2], "stayed_after_feeling", "stayed with the feeling")
    for client_turn, reply in left[:2]:
        said = _short(client_turn.text)
        ev += _fault([reply], "stayed_after_feeling", f'the reply to "{said}" moved away from the feeling',
                     f'When the client said "{said}", instead of "{{quote}}", stay with it: "That sounds '
                     'painful. What is that like for you?"')
    by_index = {t.index: t for t in turns}
    for e in view.events:
        reply = by_index.get(e.turn) if e.kind == "topic_avoidance" and e.cause in feelings else None
        if reply is None or reply in stayed or any(x.start == reply.start for x in ev if not x.positive):
            continue
        cause = by_index.get(e.cause) if e.cause is not None else _client_before(turns, reply)
        said = _short(cause.text) if cause is not None else "what they shared"
        ev += _fault([reply], "topic_changes_after_disclosure", f'the reply to "{said}" changed the subject',
                     f'When the client said "{said}", instead of "{{quote}}", stay with it: "That sounds '
                     'painful. What is that like for you?"')
    try_instead = generic
    if left:
        try_instead = (f'When the client says "{_short(left[0][0].text)}", stay with it: '
                       '"That sounds painful. What is that like for you?"')
    summary = (f"The client named a feeling {_times(total)}; you stayed with it (reflected, validated or "
               f"asked about it) {_times(len(stayed))}.")
    return weighted(parts), parts, {"summary": summary, "try_instead": try_instead, "evidence": tuple(ev)}
