"""Hand-written role-play turns with known quality, shared by report and scoring tests."""

from __future__ import annotations

from analysis.schema import CLIENT, HELPER, Turn

GOOD = [
    (CLIENT, "I relapsed last weekend and I feel so ashamed. I had ninety days."),
    (HELPER, "It sounds like you're carrying a lot of shame about this."),
    (CLIENT, "Yeah. I let everyone down. My sister was so proud of me."),
    (HELPER, "You're worried you've lost her trust, and her trust matters a lot to you."),
    (CLIENT, "It does. I don't know how to face her."),
    (HELPER, "What feels hardest about facing her?"),
    (CLIENT, "That she'll look at me like I'm the old me again."),
    (HELPER, "Part of you fears going back to who you were, and part of you knows how much you changed."),
]
POOR = [
    (CLIENT, "I relapsed last weekend and I feel so ashamed. I had ninety days."),
    (HELPER, "Well, at least it was only one weekend. You should call your sponsor right away."),
    (CLIENT, "Yeah. I let everyone down. My sister was so proud of me."),
    (HELPER, "Don't worry about your sister. Have you thought about going to a meeting tonight?"),
    (CLIENT, "I guess. I don't know."),
    (HELPER, "Did you go to a meeting this week? Did you call anyone?"),
    (CLIENT, "No."),
    (HELPER, "You need to get back on track. Just try going to ninety meetings in ninety days, that works."),
]


def make_turns(lines, *, timed: bool = False, gap: float = 0.6) -> list[Turn]:
    """Turns from (role, text) pairs; with ``timed``, 0.4 s per word and ``gap`` s between turns."""
    out, t = [], 0.0
    for i, (role, text) in enumerate(lines):
        start = end = None
        if timed:
            start, end = t, t + 0.4 * len(text.split())
            t = end + gap
        out.append(Turn(speaker=role, text=text, start=start, end=end, role=role, index=i))
    return out
