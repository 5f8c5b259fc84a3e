"""Does the helper the user named agree with the helper that the words suggest?

A user can say who the helper is (``--helper first|second``, a speaker label, ``--helper-channel``,
the web page's speaking-order answer, a batch manifest). A wrong answer makes every score about
the client's words, so the speaker stage also runs the automatic role inference
(:func:`analysis.speakers.roles.assign_roles` with no helper) on the same turns and records the
result as an :class:`~analysis.speakers.roles.OrderCheck`.

The check flags a conflict when the inferred helper is the other speaker and the inference's
confidence is at least :data:`ORDER_SURE`. That confidence is ``1 / (1 + exp(-4 * margin))``,
``margin`` being the difference of the two speakers' helper scores (1.5 x share of turns that
ask, 1.5 x share of turns that reflect, the you-vs-I balance, minus the share of words above
half). 0.9 is a margin of ln(9)/4 = 0.55: for example one speaker asks or reflects in 37 more
turns out of 100 than the other, or says "you" rather than "I" over a quarter of the scale more
often *and* asks more. A near-tie (under 0.7, which the pipeline already calls low confidence)
never overrides what the user said. The threshold comes from that definition, not from tuning
on recordings.

Everything here is pure: :func:`order_conflict` reads ``report.json``'s ``speakers`` block and
:func:`order_headline` gives the sentence the summary leads with (or None).
"""

from __future__ import annotations

from typing import Sequence

from analysis.schema import Turn
from analysis.speakers.result import SpeakerResult
from analysis.speakers.roles import OrderCheck, assign_roles

__all__ = ["ORDER_SURE", "ORDINALS", "speaking_order", "check_order", "order_conflict", "order_sentence",
           "order_headline"]

#: the inference's confidence from which a different helper is called a conflict (see the module doc)
ORDER_SURE = 0.9
#: the ways to say "the helper speaks first/second in time" (older web sessions stored speaker0/1)
ORDINALS = {"first": 0, "second": 1, "speaker0": 0, "speaker1": 1}
_WORDS = ("first", "second")


def speaking_order(turns: Sequence[Turn]) -> list[str]:
    """Speaker labels in the order they first speak words (a cough or a backchannel does not count)."""
    first: dict[str, float] = {}
    for t in turns:
        if t.text.strip() and t.speaker not in first:
            first[t.speaker] = t.start if t.start is not None else float(t.index or 0)
    return sorted(first, key=lambda s: first[s])


def _in_terms(given: str, speaker: str, order: Sequence[str]) -> str:
    """``speaker`` said the way the user said who the helper is ("second", "ch1" or the label)."""
    if given.strip().lower() in ORDINALS and speaker in order[:2]:
        return _WORDS[list(order).index(speaker)]
    return speaker


def check_order(turns: Sequence[Turn], given: str, given_speaker: str) -> OrderCheck | None:
    """Infer the helper from the words of ``turns`` and compare it with the one the user gave.

    Parameters
    ----------
    turns : sequence of Turn
        The session's turns (roles are ignored and not changed).
    given : str
        Who the helper is, as the user said it: "first", "second", a channel ``ch0``/``ch1`` or a label.
    given_speaker : str
        The speaker label ``given`` resolved to.

    Returns
    -------
    OrderCheck or None
        None when there is nothing to compare (fewer than two speakers with words, or the given
        speaker is not one of the two main speakers).
    """
    _, guess = assign_roles(list(turns), None)
    if guess.method != "inferred" or guess.helper is None or guess.client is None:
        return None
    if given_speaker not in (guess.helper, guess.client):
        return None
    order = speaking_order(turns)
    key = given.strip().lower()
    shown = _WORDS[ORDINALS[key]] if key in ORDINALS else given
    differs = guess.helper != given_speaker
    return OrderCheck(given=shown, given_speaker=given_speaker, inferred=_in_terms(given, guess.helper, order),
                      inferred_speaker=guess.helper, confidence=float(guess.confidence),
                      conflict=differs and guess.confidence >= ORDER_SURE)


def order_conflict(speakers: SpeakerResult | None) -> OrderCheck | None:
    """The speaker stage's order check (``speakers.roles.check`` in report.json) when it is a conflict the
    user has not confirmed away."""
    check = None if speakers is None else speakers.order_check
    return check if check is not None and check.conflict and not check.confirmed else None


def _phrase(who: str) -> str:
    if who in _WORDS:
        return f"the helper speaks {who}"
    if who.startswith("ch") and who[2:].isdigit():
        side = {"0": " (left)", "1": " (right)"}.get(who[2:], "")
        return f"the helper is on channel {who[2:]}{side}"
    return f"the helper is speaker {who}"


def _redo(check: OrderCheck) -> str:
    if check.given in _WORDS:
        return "Re-run with the other order."
    if check.given.startswith("ch"):
        return "Re-run with the helper on the other channel."
    return "Re-run with the other speaker as the helper."


def order_sentence(check: OrderCheck, where: str = "below") -> str:
    """The plain sentence that says the given order contradicts what was heard.

    ``where`` places the scores it warns about ("below" in a report, "above" after a printed one).
    """
    sure = "almost certain" if check.confidence >= 0.99 else "very likely"
    return (f"You said {_phrase(check.given)}, but what each voice says suggests {_phrase(check.inferred)} "
            f"({sure}): the scores {where} may be about the client's words. {_redo(check)}")


def order_headline(speakers: SpeakerResult | None) -> str | None:
    """The sentence the headline leads with when the given order contradicts a confident guess, else None.

    ``speakers`` is the report's speaker result (``Report.speakers``).
    """
    check = order_conflict(speakers)
    return None if check is None else order_sentence(check)

