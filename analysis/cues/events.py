"""Cross-turn cue events: how the helper responds after a client discloses a feeling.

A reply *stays with* a disclosure when it does so in any words: it reflects or validates, or asks
an open question about what the client said (sharing a word with it, naming a feeling, or pointing
back at it: "what was that like?"). It *moves away* when it advises or fixes, minimises, confronts
or persuades, gives information, or asks about something unrelated.

* ``solution_before_exploration``: advice or a fix comes before any reflection, validation or
  open question in the helper's next turns.
* ``topic_avoidance``: the helper's first turn after the disclosure moves away (an explicit
  "anyway"/"moving on", a question about something else, information, or a statement that shares
  no content word with the disclosure and names no feeling).
* ``feeling_reflected`` / ``feeling_missed``: per feeling the client named, whether one of the
  helper's next turns stays with it (before any move away).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import analysis.cues.rules as R
from analysis.cues.client import feeling_sense, match_client_feeling
from analysis.cues.text import sentences
from analysis.cues.types import CueEvent
from analysis.schema import CLIENT, HELPER, Turn

__all__ = ["cross_turn_events", "feeling_family", "names_feeling", "asks_about", "reply_stance", "feeling_context",
           "is_backchannel_turn"]

_EXPLORE = {"reflection", "validation"}
_FIX = {"advice", "minimising", "confront", "persuade"}
# feeling words beyond text.FEELING_WORDS (kept apart: that list feeds the classifier's features)
_MORE_FEELINGS = frozenset("worries scares scary hurts hurtful painful stung afraid fears shame shameful".split())
# an open question that points back at what was just said ("what was that like", "how did it feel")
# ("that"/"this" as a pronoun: "what was that like", "how did that feel", "tell me about that"; not
# a new thing's determiner: "this weekend", "that new job")
# who a pronoun can mean: the pronouns and person words of each kind ("him" can mean "my son", not "the kids")
_PEOPLE = {
    "he": ("he", "him", "his", "son", "dad", "father", "husband", "boyfriend", "brother", "grandpa", "uncle", "man", "guy"),
    "she": ("she", "her", "hers", "daughter", "mom", "mum", "mother", "wife", "girlfriend", "sister", "grandma", "aunt",
            "woman", "girl"),
    "they": ("they", "them", "their", "kids", "children", "parents", "friends", "family", "folks"),
}
_ANYONE = ("partner", "friend", "boss", "sponsor", "counselor", "counsellor", "doctor", "cousin", "kid")
_PRONOUN = re.compile(r"\b(?:he|him|his|she|her|they|them|their)\b")
_PERSON = re.compile(r"\b(?:" + "|".join(sorted({w for ws in _PEOPLE.values() for w in ws} | set(_ANYONE))) + r")\b")


def _kind_of(word: str) -> str | None:
    return next((k for k, ws in _PEOPLE.items() if word in ws), None)


_POINTS_BACK = re.compile(
    r"\b(?:that|this)\b(?=\s*(?:[?.!,]|$|(?:is|was|'s|has|had|been|must|might|would|could|will|does|did|do|feels?|felt|"
    r"means?|meant|makes?|made|brings?|brought|leaves?|left|sounds?|seems?|like|for you|to you|with you|on you|"
    r"part|moment|feeling|fear|shame|guilt|pain|hurt)\b))|"
    r"\b(?:was|is|has) it been like\b|\bwhat (?:was|is) it like\b|\btell me more\b|"
    r"\bwhat happened\b|\bfeel\w*\b|\bmean\b"
)


def feeling_family(word: str) -> str:
    """A crude word-family key for feeling words ("anxious"/"anxiety" -> "anxi")."""
    return word[:4] if len(word) > 4 else word


def _kinds_with_labels(kinds: set[str], labels: Mapping[str, str]) -> set[str]:
    out = set(kinds)
    if "question" in kinds and labels.get("question") == "open":
        out.add("open_question")
    return out


def names_feeling(text: str) -> bool:
    """The text names a feeling (the cue lexicon or a few more forms: "worries", "hurts", "scary")."""
    return bool(R.feelings_named(text)) or any(w in _MORE_FEELINGS for w in R.words(text))


def asks_about(question: str, disclosure: str) -> bool:
    """An open question about what the client said: shares a content word, names a feeling or points back at it.

    Only the asking sentences point back: "That's a long time. So what are you up to this weekend?" asks about
    something new (issue 25's fourth blind batch)."""
    if R.content_words(question) & R.content_words(disclosure) or names_feeling(question):
        return True
    asked = [q for q in sentences(R.normalise(question)) if q.endswith("?")] or [R.normalise(question)]
    if any(_POINTS_BACK.search(q) for q in asked):
        return True
    # "My son asked me why I don't smile anymore." -> "What did you tell him?": a pronoun with no one named before it in
    # the question can only mean someone the client just spoke of, so it points back at what they said ("So how's
    # your own mom doing, is she still out in Dayton?" names its own person first)
    said = R.normalise(disclosure)
    kinds = {_kind_of(m.group(0)) for m in _PERSON.finditer(said)}
    for q in asked:
        m = _PRONOUN.search(q)
        if m and not _PERSON.search(q[: m.start()]) and (_kind_of(m.group(0)) in kinds or None in kinds):
            return True
    return False


def feeling_context(disclosure: str) -> str:
    """The part of a disclosure a reply must take up to stay with its feeling: each sentence that names or shows
    a feeling, with the sentence before and after it (what the feeling is about); the whole text when no single
    sentence does. ("I start Monday. But I can't stop thinking about him. I'm so angry at him.": asking about
    Monday's shift takes up a word of the turn, not the anger; issue 25's fourth blind batch.)"""
    return _feeling_sentences(disclosure, (-1, 0, 1))


def _feeling_sentences(disclosure: str, around: tuple[int, ...] = (0,)) -> str:
    parts = sentences(disclosure.strip())
    keep = {k + d for k, s in enumerate(parts) if match_client_feeling(s) for d in around}
    keep &= set(range(len(parts)))
    return " ".join(parts[k] for k in sorted(keep)) if keep else disclosure


def is_backchannel_turn(t: Turn, client: Turn) -> bool:
    """A helper turn that is no reply to the client turn ``client``: a bare "mm-hmm", or a short turn (3 words at
    most) that starts while the client is still talking, however Whisper heard it ("door? Mmm,": a word of the
    client's caught beside the helper's "mm"); a longer turn cutting in is a reply (an interruption)."""
    return R.is_backchannel(t.text) or t.murmurs_inside(client.end)


def reply_stance(kinds: set[str], labels: Mapping[str, str], text: str, disclosure: str) -> str:
    """How one helper reply answers a disclosure: "stays", "moves_away" or "neutral".

    Parameters
    ----------
    kinds, labels : the reply's cue kinds and labels (the cue decision's codes).
    text : the reply; disclosure : the client's disclosure it answers.
    """
    kinds = _kinds_with_labels(kinds, labels)
    if kinds & _FIX or R.match_topic_shift(text) and not kinds & _EXPLORE:
        return "moves_away"
    if kinds & _EXPLORE:
        return "stays"
    if "open_question" in kinds:
        return "stays" if asks_about(text, disclosure) else "moves_away"
    if "question" in kinds:  # a closed question: about the feeling's own sentence, or about something else
        # ("I start Monday, but I can't stop thinking about him. I'm so angry at him." -> "What shift did they put
        # you on?": a fact beside the feeling, not the feeling)
        return "neutral" if asks_about(text, _feeling_sentences(disclosure)) else "moves_away"
    if "information" in kinds:
        return "moves_away"
    if names_feeling(text) or R.content_words(text) & R.content_words(disclosure) or len(R.content_words(text)) < 2:
        return "neutral"
    return "moves_away"


def cross_turn_events(
    turns: Sequence[Turn],
    kinds_by_turn: Mapping[int, set[str]],
    labels_by_turn: Mapping[int, Mapping[str, str]],
    window: int = 3,
) -> list[CueEvent]:
    """Find the cross-turn events after each client feeling disclosure.

    Parameters
    ----------
    turns : sequence of Turn
        The session, in order; roles ``"helper"``/``"client"``.
    kinds_by_turn : mapping of int to set of str
        Cue kinds found on each turn (by position).
    labels_by_turn : mapping of int to mapping of str to str
        Cue labels per turn and kind (e.g. ``{"question": "open"}``).
    window : int
        How many helper turns after the disclosure to look at.

    Returns
    -------
    list of CueEvent
    """
    events: list[CueEvent] = []
    n = len(turns)
    for i, turn in enumerate(turns):
        if turn.role != CLIENT or "feeling_disclosure" not in kinds_by_turn.get(i, set()):
            continue
        responses: list[int] = []
        for j in range(i + 1, n):
            if turns[j].role == CLIENT and "feeling_disclosure" in kinds_by_turn.get(j, set()):
                break
            if turns[j].role == HELPER and not is_backchannel_turn(turns[j], turn):
                responses.append(j)
                if len(responses) >= window:
                    break
        if not responses:
            continue

        def ev(kind: str, j: int, label: str, detail: str) -> CueEvent:
            return CueEvent(
                kind=kind, turn_index=j, trigger_index=i, label=label, quote=turns[j].text,
                trigger_quote=turn.text, start=turns[j].start, end=turns[j].end, detail=detail,
            )

        # solution before exploration
        for j in responses:
            kinds = _kinds_with_labels(kinds_by_turn.get(j, set()), labels_by_turn.get(j, {}))
            if kinds & (_EXPLORE | {"open_question"}):
                break
            if "advice" in kinds:
                events.append(ev("solution_before_exploration", j, "advice",
                                 "advice came before any reflection or open question"))
                break

        # topic avoidance (first substantive helper response only): judged by what the reply does
        j = responses[0]
        kinds = kinds_by_turn.get(j, set())
        text = turns[j].text
        shift = R.match_topic_shift(text)
        about = feeling_context(turn.text)
        stance = {k: reply_stance(kinds_by_turn.get(k, set()), labels_by_turn.get(k, {}), turns[k].text, about)
                  for k in responses}
        if shift and not kinds & _EXPLORE:
            events.append(ev("topic_avoidance", j, "explicit", f"changed subject ('{shift}')"))
        elif stance[j] == "moves_away":
            why = ("a fix instead of the feeling" if kinds & _FIX
                   else "a question about something else" if "question" in kinds
                   else "information instead of the feeling" if "information" in kinds
                   else "response shares no content word with the disclosure")
            events.append(ev("topic_avoidance", j, "no_overlap" if "question" not in kinds else "other_question", why))

        # was each named feeling stayed with (reflected, validated or asked about, in any words) before a move away?
        stayed = None
        for k in responses:
            if stance[k] == "stays":
                stayed = k
                break
            if stance[k] == "moves_away":
                break
        for w in R.feelings_named(feeling_sense(turn.text)):
            same = [k for k in responses if feeling_family(w) in {feeling_family(x) for x in R.feelings_named(turns[k].text)}
                    and stance[k] != "moves_away"]
            hit = stayed if stayed is not None else (same[0] if same else None)
            jj = hit if hit is not None else responses[0]
            events.append(ev("feeling_reflected" if hit is not None else "feeling_missed", jj, w,
                             "stayed with the feeling" if hit is not None else "moved away from the feeling"))
    events.extend(_explicit_shifts(turns, kinds_by_turn, {e.turn_index for e in events if e.kind == "topic_avoidance"}))
    return events


_SELF = re.compile(r"\b(?:i|i'm|i've|i'd|my|me|myself)\b", re.I)


def _explicit_shifts(turns: Sequence[Turn], kinds_by_turn: Mapping[int, set[str]], flagged: set[int]) -> list[CueEvent]:
    """An explicit change of subject ("anyway", "moving on", "let's talk about something more positive")
    as the helper's first reply to a client turn that tells of the client's own life (a disclosure
    without a named feeling word): topic avoidance too, by the definition (the helper changes subject
    right after a disclosure)."""
    out = []
    for i, turn in enumerate(turns):
        if turn.role != CLIENT or "feeling_disclosure" in kinds_by_turn.get(i, set()):
            continue
        if len(R.words(turn.text)) < 8 or not _SELF.search(turn.text):
            continue
        j = next((k for k in range(i + 1, len(turns)) if turns[k].role == HELPER
                  and not is_backchannel_turn(turns[k], turn)), None)
        if j is None or j in flagged or any(turns[k].role == CLIENT for k in range(i + 1, j)):
            continue
        shift = R.match_topic_shift(turns[j].text)
        # the marker decides, unless the reply also says back in form ("anyway, it sounds like...")
        if shift and not R.match_reflection(turns[j].text) and "validation" not in kinds_by_turn.get(j, set()):
            out.append(CueEvent(kind="topic_avoidance", turn_index=j, trigger_index=i, label="explicit",
                                quote=turns[j].text, trigger_quote=turn.text, start=turns[j].start, end=turns[j].end,
                                detail=f"changed subject ('{shift}') after the client spoke of their life"))
    return out
