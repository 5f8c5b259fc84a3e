"""Text alternatives for the report page's media: captions for the player and a sentence for the timeline.

Both read the compact turn list the page draws from (``report_page.page_data``): dicts with
``who``, ``role``, ``start``, ``end`` (seconds, or None) and ``text``.
"""

from __future__ import annotations

__all__ = ["timeline_summary", "vtt_time", "webvtt"]


def vtt_time(seconds: float) -> str:
    """``seconds`` as a WebVTT timestamp, ``HH:MM:SS.mmm``."""
    ms = max(0, round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _cue_text(text: str) -> str:
    # a cue ends at a blank line, and "-->" would read as a timing line
    return " ".join(text.split()).replace("-->", "->").replace("&", "&amp;").replace("<", "&lt;")


def webvtt(turns: list[dict]) -> str:
    """A WebVTT captions file: one cue per timed turn with text, ``<v Speaker>`` naming who speaks."""
    lines = ["WEBVTT", ""]
    for turn in turns:
        start, end, text = turn["start"], turn["end"], _cue_text(turn["text"] or "")
        if start is None or end is None or end <= start or not text:
            continue
        lines += [f"{vtt_time(start)} --> {vtt_time(end)}", f"<v {_cue_text(turn['who'])}>{text}", ""]
    return "\n".join(lines)


def timeline_summary(data: dict) -> str:
    """One sentence that says what the timeline draws: turns and talk time per side, overlaps, interruptions."""
    said: dict[str, list[float]] = {}
    for turn in data["turns"]:
        if turn["start"] is None or turn["end"] is None:
            continue
        said.setdefault(turn["who"], []).append(max(0.0, turn["end"] - turn["start"]))
    total = sum(sum(v) for v in said.values())
    parts = [f"{who}: {len(v)} turn{'s' if len(v) != 1 else ''}"
             + (f", {100 * sum(v) / total:.0f} % of the talk" if total > 0 else "") for who, v in said.items()]
    events = [(len(data["overlaps"]), "time", "times", "both talking"),
              (len(data["interruptions"]), "interruption by the helper", "interruptions by the helper", ""),
              (len(data["client_interruptions"]), "interruption by the client", "interruptions by the client", "")]
    extra = [f"{n} {one if n == 1 else many}{' ' + tail if tail else ''}" for n, one, many, tail in events if n]
    return "; ".join(parts + extra) + "."
