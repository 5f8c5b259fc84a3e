"""The practice client's decision: which line she says next, and why. Pure (no I/O).

:func:`next_line` takes a branching scenario (``service.practice.scenarios``), the ids of the lines she has
said so far and the trainee's reply (its transcript); it reads the reply's move with the shipped
cue model (:func:`analysis.cues.reply.classify_reply`) and returns a :class:`Decision`: the line,
``because`` ("after a reflection") and whether the session ends after it.

The rules (documented for scenario authors in ``docs/usage/practice.md``):

* the first line is the ``opening``; its ``next`` names the first beat;
* after each reply, the current beat's variant whose ``when`` holds the move is chosen, and its
  ``next`` becomes the current beat (``null``: the session ends after the trainee's reply to it);
* she never says a line twice: if the chosen variant was already said, she says the ``closing``
  line instead and the session ends straight away (she leaves);
* a linear (format 1) scenario plays its ``lines`` in order, whatever the reply.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analysis.cues.reply import ReplyMove, classify_reply
from analysis.report.sections import mmss
from service.practice.scenarios import Scenario, ScenarioLine

__all__ = ["Decision", "arc_sentence", "decide", "first_line", "next_line", "read_reply"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """What the client says next.

    ``line`` is None when the session is over (nothing more to say). ``ends_after_reply``: the
    trainee replies once more, then the session ends; ``ends_now``: the session ends when the line
    has been said (no reply awaited). ``move`` is the reply's reading (None for the opening).
    """

    line: ScenarioLine | None
    line_id: str
    because: str
    move: ReplyMove | None = None
    beat: str = ""
    ends_after_reply: bool = False
    ends_now: bool = False

    @property
    def text(self) -> str:
        return "" if self.line is None else self.line.text

    def to_dict(self) -> dict[str, Any]:
        return {"line_id": self.line_id, "text": self.text, "because": self.because, "beat": self.beat,
                "move": None if self.move is None else self.move.to_dict(),
                "ends_after_reply": self.ends_after_reply, "ends_now": self.ends_now}


def _linear_id(k: int) -> str:
    return f"line-{k + 1:02d}"


def first_line(scenario: Scenario) -> Decision:
    """The opening line (a linear scenario: its first line)."""
    if scenario.branching:
        op = scenario.opening
        return Decision(op, op.id, "the opening", beat="", ends_after_reply=op.next is None)
    return Decision(scenario.lines[0], _linear_id(0), "the opening", ends_after_reply=len(scenario.lines) == 1)


def decide(scenario: Scenario, said: Sequence[str], move: ReplyMove) -> Decision:
    """The next line for an already classified reply (see :func:`next_line`)."""
    if not said:
        return first_line(scenario)
    if not scenario.branching:
        k = len(said)
        if k >= len(scenario.lines):
            return Decision(None, "", move.because, move, ends_now=True)
        return Decision(scenario.lines[k], _linear_id(k), move.because, move,
                        ends_after_reply=k == len(scenario.lines) - 1)
    last = scenario.line(said[-1])
    if last.next is None:  # the end, or the closing line: nothing more to say
        return Decision(None, "", move.because, move, ends_now=True)
    beat = scenario.beat(last.next)
    chosen = beat.variant_for(move.move)
    if chosen.id in said:
        close = scenario.closing
        return Decision(close, close.id, move.because, move, beat=beat.id, ends_now=True)
    return Decision(chosen, chosen.id, move.because, move, beat=beat.id, ends_after_reply=chosen.next is None)


def next_line(scenario: Scenario, said: Sequence[str], reply_text: str, model=None, *,
              use_model: bool = True) -> Decision:
    """Classify the trainee's reply and pick the client's next line.

    Parameters
    ----------
    scenario : Scenario
        A scenario (branching or linear).
    said : sequence of str
        Ids of the lines the client has said so far, in order (empty: the opening comes next).
    reply_text : str
        The transcript of the trainee's reply to the last line ("" for silence).
    model : object, optional
        A loaded cue model; the shipped one by default.

    Returns
    -------
    Decision
    """
    move = read_reply(scenario, said, reply_text, model, use_model=use_model)
    decision = decide(scenario, said, move)
    logger.debug("reply %r -> %s (%s) -> %s", reply_text[:60], move.move, move.label, decision.line_id)
    return decision


def read_reply(scenario: Scenario, said: Sequence[str], reply_text: str, model=None, *,
               use_model: bool = True) -> ReplyMove:
    """The reply's move, read against the line it answers (the last of ``said``)."""
    previous = ""
    if said:
        previous = scenario.line(said[-1]).text if scenario.branching else scenario.lines[len(said) - 1].text
    return classify_reply(reply_text, previous, model=model, use_model=use_model)


def _quote(text: str, n: int = 20) -> str:
    w = text.split()
    return " ".join(w[:n]) + ("…" if len(w) > n else "")


def arc_sentence(scenario: Scenario, turns: Sequence[dict[str, Any]]) -> str:
    """One line telling the client's arc, from the client turns said (``line_id``, ``because`` and
    ``reply_start``: when the reply she reacted to began, in seconds).

    Examples: "The client reached the heart of the matter ("The worst part is my daughter made me
    a card for my one year. It's still on the fridge.") after a reflection at 1:12." / "The client
    pulled back after minimising at 0:07 and went quiet and left after advice at 0:40, without
    reaching the heart of the matter (...)".
    """
    if not scenario.branching or not turns:
        return ""
    known = {x.id for x in scenario.all_lines}
    if any(t.get("line_id") not in known for t in turns):
        return ""  # not this scenario's lines

    def when(t: dict[str, Any]) -> str:
        at = t.get("reply_start")
        return f"{t['because']}" + ("" if at is None else f" at {mmss(float(at))}")

    ids = [t["line_id"] for t in turns]
    for t in turns:
        line = scenario.line(t["line_id"])
        if line.heart:
            return f"The client reached the heart of the matter (\"{_quote(line.text)}\") {when(t)}."
    fixes = [t for t in turns[1:] if scenario.line(t["line_id"]).when and
             "fixing" in scenario.line(t["line_id"]).when]
    heart = next(v for b in scenario.beats for v in b.variants if v.heart)
    missed = f"without reaching the heart of the matter (\"{_quote(heart.text)}\")"
    if scenario.closing is not None and scenario.closing.id in ids:
        close = turns[ids.index(scenario.closing.id)]
        first = f"pulled back {when(fixes[0])} and " if fixes and fixes[0] is not close else ""
        return f"The client {first}went quiet and left {when(close)}, {missed}."
    if fixes:
        return f"The client pulled back {when(fixes[0])}, and the session ended {missed}."
    return (f"The session ended before the client reached the heart of the matter (\"{_quote(heart.text)}\"); "
            f"her last line came {when(turns[-1])}.")
