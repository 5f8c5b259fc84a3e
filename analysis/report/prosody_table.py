"""Plain-text table of prosody per speaker, from ``ProsodyResult.to_dict()`` (for text reports)."""

from __future__ import annotations

from typing import Any

__all__ = ["prosody_table"]


def _f(x: Any, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def prosody_table(d: dict[str, Any] | None) -> str:
    """One line per speaker: rate, articulation rate, pitch, level, pauses, fillers, flags.

    Parameters
    ----------
    d : dict or None
        ``ProsodyResult.to_dict()`` (the report's ``prosody`` entry).

    Returns
    -------
    str
        A fixed-width table; "Voice: not measured." when ``d`` is empty.
    """
    if not d or not d.get("speakers"):
        return "Voice: not measured."
    head = (f"{'speaker':16s} {'wpm':>5s} {'artic':>5s} {'f0 Hz':>6s} {'sd st':>5s} {'range':>5s} "
            f"{'dB':>6s} {'pauses b/m/l':>12s} {'fill/min':>8s}  flags")
    lines = [head]
    for s in d["speakers"]:
        p = s.get("pauses") or {}
        flags = [f for f, on in (("monotone", s.get("monotone")), ("rushed", s.get("rushed"))) if on]
        name = f"{s['speaker']} ({s['role']})" if s.get("role") else s["speaker"]
        lines.append(
            f"{name[:16]:16s} {_f(s.get('wpm'), '5.0f')} {_f(s.get('articulation_wpm'), '5.0f')} "
            f"{_f(s.get('pitch_median_hz'), '6.1f')} {_f(s.get('pitch_sd_st'), '5.2f')} "
            f"{_f(s.get('pitch_range_st'), '5.1f')} {_f(s.get('energy_db'), '6.1f')} "
            f"{p.get('brief', 0):4d}/{p.get('medium', 0):3d}/{p.get('long', 0):3d} "
            f"{_f(s.get('fillers_per_min'), '8.1f')}  {', '.join(flags)}"
        )
    db, st = d.get("helper_minus_client_db"), d.get("helper_minus_client_st")
    if db is not None or st is not None:
        lines.append(f"helper vs client: level {_f(db, '+.1f')} dB, pitch {_f(st, '+.1f')} semitones")
    rushed = d.get("rushed_after_disclosure") or []
    if rushed:
        lines.append(f"rushed replies right after a feeling disclosure: turns {', '.join(map(str, rushed))}")
    for n in d.get("notes") or []:
        lines.append(f"note: {n}")
    return "\n".join(lines)
