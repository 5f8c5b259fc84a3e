"""Timing of a helper/client conversation from speaker activity (audio) and words.

Definitions (defaults in :class:`TimingOptions`, after DESIGN.md):

- talk share: helper speech time / (helper + client) speech time;
- response latency: client floor end -> helper floor start (negative: overlap);
- backchannel: a short helper vocalisation (< ``backchannel_max`` s, few words
  from a small vocabulary when words are known) starting inside a client region
  while the client carries on;
- interruption: the helper starts inside a client region, not in its last
  ``guard`` s, is not a backchannel, and the client stops within ``yield_within`` s;
- overlap: both speaking for at least ``min_overlap`` s;
- pauses: silence between any speech, brief < 0.2 s, medium 0.2-1 s, long > 1 s.

Every flagged event carries its times and the words around it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from analysis.schema import CLIENT, HELPER, SpeechRegion, Turn, Word
from analysis.speakers.activity import SpeakerActivity
from analysis.timing.types import (
    LatencyStats,
    TimingEvent,
    TimingMetrics,
    TimingOptions,
)

__all__ = ["TimingOptions", "TimingEvent", "LatencyStats", "TimingMetrics", "timing_metrics"]


def _merge(regions: Sequence[SpeechRegion], gap: float = 0.0) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for r in sorted(regions, key=lambda r: r.start):
        if out and r.start - out[-1][1] <= gap:
            out[-1][1] = max(out[-1][1], r.end)
        else:
            out.append([r.start, r.end])
    return [(a, b) for a, b in out]


def _merge_spans(spans: Sequence[tuple[float, float]], gap: float) -> list[tuple[float, float]]:
    return _merge([SpeechRegion(a, b, "x") for a, b in spans], gap)


def _text(words: Sequence[Word]) -> str:
    return " ".join(" ".join(w.text.strip() for w in words).split())


class _Quoter:
    def __init__(self, words: Sequence[Word], n_context: int, turn_pause: float = 0.5):
        self.words = sorted(words, key=lambda w: w.start)
        self.n = n_context
        self.turn_pause = turn_pause

    def _before(self, a: float, role: str | None) -> list[Word]:
        """The last words ending by ``a``; with ``role``, only that speaker's run of words just before it
        (no other speaker's word and no pause of a turn in between), so the quote stays inside one turn."""
        prior = [w for w in self.words if w.end <= a + 0.05]
        if role is None:
            return prior[-self.n:]
        out: list[Word] = []
        for w in reversed(prior):
            if w.speaker != role or (out and out[-1].start - w.end > self.turn_pause):
                break
            out.append(w)
            if len(out) == self.n:
                break
        return out[::-1]

    def during(self, a: float, b: float, role: str | None = None) -> tuple[Word, ...]:
        return tuple(w for w in self.words if a - 0.05 <= (w.start + w.end) / 2 <= b + 0.05
                     and (role is None or w.speaker == role))

    def event(self, kind: str, a: float, b: float, speaker: str | None, other: str | None = None,
              **details) -> TimingEvent:
        before = self._before(a, other)  # the words the event came in on: the other person's
        after = [w for w in self.words if w.start >= b - 0.05][: self.n]
        return TimingEvent(kind=kind, start=round(a, 3), end=round(b, 3), speaker=speaker, other=other,
                           text=_text(self.during(a, b, speaker)), before=_text(before), after=_text(after),
                           details={k: (round(v, 3) if isinstance(v, float) else v) for k, v in details.items()})


def _role_regions(activity: SpeakerActivity, roles: dict[str, str], role: str) -> list[SpeechRegion]:
    return [SpeechRegion(r.start, r.end, role) for r in activity.regions if roles.get(r.speaker) == role]


def _roles_from_turns(turns: Sequence[Turn], activity: SpeakerActivity) -> dict[str, str]:
    roles = {t.speaker: t.role for t in turns if t.role in (HELPER, CLIENT)}
    for s in activity.speakers:
        if s in (HELPER, CLIENT):
            roles.setdefault(s, s)
    return roles


def _is_backchannel_words(words: Sequence[Word], opts: TimingOptions) -> bool:
    if not words:
        return True
    if len(words) > opts.backchannel_max_words:
        return False
    text = " ".join(w.text.lower().strip(" .,!?;:\"'") for w in words)
    tokens = [t.strip(" .,!?;:\"'") for t in text.replace("-", " ").split()]
    return all(t in opts.backchannel_tokens for t in tokens if t)


def timing_metrics(
    turns: Sequence[Turn],
    activity: SpeakerActivity,
    options: TimingOptions | None = None,
) -> TimingMetrics:
    """Measure the conversation's timing.

    Parameters
    ----------
    turns : sequence of Turn
        Turns with ``role`` set (see :func:`analysis.speakers.roles.assign_roles`); their
        words are used for quoting and to recognise backchannels.
    activity : SpeakerActivity
        Who is speaking when (the source of overlaps and latencies).
    options : TimingOptions, optional

    Returns
    -------
    TimingMetrics
        Times in seconds; events carry the words around them.
    """
    opts = options or TimingOptions()
    roles = _roles_from_turns(turns, activity)
    words = [replace(w, speaker=t.role or roles.get(w.speaker or t.speaker, w.speaker))
             for t in turns for w in t.words]
    q = _Quoter(words, opts.context_words, opts.turn_pause)
    H = _merge(_role_regions(activity, roles, HELPER), opts.same_speaker_gap)
    C = _merge(_role_regions(activity, roles, CLIENT), opts.same_speaker_gap)
    duration = max([activity.duration] + [b for _, b in H + C] + [0.0])
    notes: list[str] = []  # the activity keeps its own notes
    if not H and not C:
        notes.append("no helper or client speech: timing not measured")
    elif not C:
        notes.append("no client speech: latency, interruptions and backchannels not measured")
    elif not H:
        notes.append("no helper speech: the client was never answered")
    # one microphone: measured only where the diarizer says its overlaps were validated
    measured = activity.source != "diarization" or activity.info.get("overlaps_measured") is True
    if not measured:
        notes.append("one microphone: cut-ins, overlaps, short \"mm-hmm\"s while the other person talks and "
                     "the pause before answering are not measured; record in stereo (one microphone each) "
                     "to measure them")

    # classify helper regions starting inside client speech (a turn bridges short pauses)
    Ht, Ct = _merge_spans(H, opts.turn_pause), _merge_spans(C, opts.turn_pause)
    backchannels, interruptions, bc_idx = [], [], set()
    cuts = [float(t) for t in activity.info.get("cut_offs", ())]
    for i, (a, b) in enumerate(H):
        host = next(((ca, cb) for ca, cb in Ct if ca < a < cb), None)
        if host is None:
            continue
        ca, cb = host
        hw = q.during(a, b, HELPER)
        carries_on = cb > b + opts.backchannel_client_continues or any(
            c0 <= b + opts.backchannel_resume and c1 > b for c0, c1 in C if c0 > cb)
        if (b - a) <= opts.backchannel_max and carries_on and _is_backchannel_words(hw, opts):
            backchannels.append(q.event("backchannel", a, b, HELPER, CLIENT))
            bc_idx.add(i)
            continue
        # a client line known to be cut off (scripted practice with barge-in: she stops within 0.3 s of the
        # trainee's voice) ends because of the cut-in, so its last moments are no natural turn end
        cut_off = any(abs(cb - t) <= 0.05 for t in cuts)
        if (a < cb - opts.guard or cut_off) and cb - a <= opts.yield_within and b > cb:
            interruptions.append(q.event("interruption", a, cb, HELPER, CLIENT,
                                         client_stopped_after=cb - a, helper_end=b))
    client_interruptions = []
    for a, b in C:
        host = next(((ha, hb) for ha, hb in Ht if ha < a < hb), None)
        if host and a < host[1] - opts.guard and host[1] - a <= opts.yield_within and b > host[1] \
                and (b - a) > opts.backchannel_max:
            client_interruptions.append(q.event("client_interruption", a, host[1], CLIENT, HELPER))

    overlaps = []
    for ha, hb in H:
        for ca, cb in C:
            lo, hi = max(ha, ca), min(hb, cb)
            if hi - lo >= opts.min_overlap:
                starter = HELPER if ha > ca else CLIENT
                overlaps.append(q.event("overlap", lo, hi, starter, CLIENT if starter == HELPER else HELPER))

    # floor: helper regions that are not backchannels, and client regions
    floor = sorted([(a, b, HELPER) for i, (a, b) in enumerate(H) if i not in bc_idx]
                   + [(a, b, CLIENT) for a, b in C])
    runs: list[list] = []
    for a, b, r in floor:
        if runs and runs[-1][2] == r:
            runs[-1][1] = max(runs[-1][1], b)
        else:
            runs.append([a, b, r])
    latencies = []
    for prev, nxt in zip(runs, runs[1:]):
        if prev[2] == CLIENT and nxt[2] == HELPER and nxt[0] - prev[1] <= opts.max_latency:
            latencies.append(q.event("latency", prev[1], nxt[0], HELPER, CLIENT, latency=nxt[0] - prev[1])
                             if nxt[0] >= prev[1] else
                             q.event("latency", nxt[0], prev[1], HELPER, CLIENT, latency=nxt[0] - prev[1]))
    lat_stats = LatencyStats.from_values([e.details["latency"] for e in latencies], opts)

    def longest(role: str, kind: str):
        cand = [(b - a, a, b) for a, b, r in runs if r == role]
        if not cand:
            return None
        d, a, b = max(cand)
        return q.event(kind, a, b, role, None, duration=d)

    # pauses: silences in the union of all speech (and between words, when known)
    union = _merge([SpeechRegion(a, b, "x") for a, b in H + C])
    gaps = [(b0, a1) for (_, b0), (a1, _) in zip(union, union[1:])]
    if words:
        ws = sorted(words, key=lambda w: w.start)
        for w0, w1 in zip(ws, ws[1:]):
            if w1.start - w0.end >= opts.min_pause and not any(a <= w0.end and w1.start <= b for a, b in gaps):
                inside = [(a, b) for a, b in union if a <= w0.end and w1.start <= b]
                if inside:
                    gaps.append((w0.end, w1.start))
    pauses = {"brief": 0, "medium": 0, "long": 0}
    long_pauses = []
    for a, b in sorted(gaps):
        d = b - a
        if d < opts.min_pause:
            continue
        kind = "brief" if d < opts.pause_brief else ("medium" if d <= opts.pause_long else "long")
        pauses[kind] += 1
        if kind == "long":
            before = next((r for s, e, r in reversed(runs) if e <= a + 0.05), None)
            after = next((r for s, e, r in runs if s >= b - 0.05), None)
            long_pauses.append(q.event("long_pause", a, b, after, before, duration=d))
    h_time = sum(b - a for a, b in H)
    c_time = sum(b - a for a, b in C)
    hw = sum(1 for w in words if w.speaker == HELPER)
    cw = sum(1 for w in words if w.speaker == CLIENT)
    n_turns = len(runs)
    return TimingMetrics(
        duration=round(duration, 3),
        speech_time={HELPER: round(h_time, 3), CLIENT: round(c_time, 3)},
        talk_share_helper=round(h_time / (h_time + c_time), 4) if h_time + c_time > 0 else None,
        word_share_helper=round(hw / (hw + cw), 4) if hw + cw > 0 else None,
        latency=lat_stats,
        latencies=tuple(latencies),
        overlaps=tuple(overlaps),
        interruptions=tuple(interruptions),
        client_interruptions=tuple(client_interruptions),
        backchannels=tuple(backchannels),
        longest_helper_monologue=longest(HELPER, "helper_monologue"),
        longest_client_story=longest(CLIENT, "client_story"),
        n_turns=n_turns,
        turns_per_minute=round(n_turns / (duration / 60.0), 3) if duration > 0 else 0.0,
        pauses=pauses,
        long_pauses=tuple(long_pauses),
        notes=tuple(notes),
        options=opts,
        over_time=_over_time(H, C, interruptions, backchannels, duration, opts.time_bin),
        overlaps_measured=measured,
    )


def _over_time(H, C, interruptions, backchannels, duration: float, step: float) -> tuple[dict, ...]:
    """Per ``step`` seconds: speech time per role, helper talk share, interruptions, backchannels."""
    if duration <= 0 or step <= 0:
        return ()
    bins = []
    t = 0.0
    while t < duration:
        e = min(duration, t + step)
        hs = sum(max(0.0, min(b, e) - max(a, t)) for a, b in H)
        cs = sum(max(0.0, min(b, e) - max(a, t)) for a, b in C)
        bins.append({"start": round(t, 3), "end": round(e, 3), "helper_s": round(hs, 3), "client_s": round(cs, 3),
                     "talk_share_helper": round(hs / (hs + cs), 4) if hs + cs > 0 else None,
                     "interruptions": sum(1 for x in interruptions if t <= x.start < e),
                     "backchannels": sum(1 for x in backchannels if t <= x.start < e)})
        t = e
    return tuple(bins)
