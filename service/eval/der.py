"""Diarization error rate (DER) with a scoring collar and overlap scored, plus RTTM text I/O.

DER = (missed speech + false alarm + speaker confusion) / reference speech, all
in seconds, computed on a 10 ms grid. Speakers of the hypothesis are mapped one to
one onto reference speakers so that the time they share is largest (Hungarian
algorithm, ``scipy.optimize.linear_sum_assignment``). Following NIST md-eval, a
collar of ``collar`` seconds on each side of every reference boundary is not
scored; overlapping speech counts (each speaker separately).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from analysis.errors import ParameterError
from analysis.schema import SpeechRegion

__all__ = [
    "DiarizationScore",
    "diarization_error",
    "parse_rttm",
    "parse_uem",
    "to_rttm",
]


@dataclass(frozen=True)
class DiarizationScore:
    """Components of DER in seconds of scored speaker time; ``der`` is a fraction."""

    reference: float
    missed: float
    false_alarm: float
    confusion: float
    mapping: dict[str, str]

    @property
    def der(self) -> float:
        if self.reference <= 0:
            return 0.0 if self.false_alarm <= 0 else float("inf")
        return (self.missed + self.false_alarm + self.confusion) / self.reference

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["der"] = self.der
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DiarizationScore":
        return cls(float(d["reference"]), float(d["missed"]), float(d["false_alarm"]),
                   float(d["confusion"]), dict(d.get("mapping", {})))

    def __add__(self, other: "DiarizationScore") -> "DiarizationScore":
        return DiarizationScore(self.reference + other.reference, self.missed + other.missed,
                                self.false_alarm + other.false_alarm,
                                self.confusion + other.confusion, {})


def _grid(regions: Sequence[SpeechRegion], speakers: list[str], n: int, step: float) -> np.ndarray:
    m = np.zeros((len(speakers), n), dtype=bool)
    index = {s: i for i, s in enumerate(speakers)}
    for r in regions:
        a = max(0, int(round(r.start / step)))
        b = min(n, int(round(r.end / step)))
        if b > a:
            m[index[r.speaker], a:b] = True
    return m


def diarization_error(
    reference: Iterable[SpeechRegion],
    hypothesis: Iterable[SpeechRegion],
    *,
    uem: tuple[float, float] | None = None,
    collar: float = 0.25,
    step: float = 0.01,
) -> DiarizationScore:
    """Score a hypothesis against a reference.

    Parameters
    ----------
    reference, hypothesis : iterable of SpeechRegion
        Who speaks when; speaker labels need not match (they are mapped optimally).
    uem : (start, end) or None
        Scored span in seconds; by default from 0 to the last region end.
    collar : float
        Seconds not scored on each side of every reference region boundary.
    step : float
        Grid resolution in seconds.

    Returns
    -------
    DiarizationScore
    """
    from scipy.optimize import linear_sum_assignment

    if collar < 0 or step <= 0:
        raise ParameterError(f"collar={collar} must be >= 0 and step={step} > 0")
    ref = [r for r in reference if r.end > r.start]
    hyp = [r for r in hypothesis if r.end > r.start]
    end = max([r.end for r in ref + hyp] + [0.0])
    lo, hi = (0.0, end) if uem is None else (float(uem[0]), float(uem[1]))
    n = int(np.ceil(max(hi, end) / step)) + 1
    ref_spk = sorted({r.speaker for r in ref})
    hyp_spk = sorted({r.speaker for r in hyp})
    R = _grid(ref, ref_spk, n, step)
    H = _grid(hyp, hyp_spk, n, step)
    scored = np.zeros(n, dtype=bool)
    scored[int(round(lo / step)): int(round(hi / step))] = True
    if collar > 0:
        c = int(round(collar / step))
        for r in ref:
            for t in (r.start, r.end):
                k = int(round(t / step))
                scored[max(0, k - c): k + c] = False
    R = R[:, scored]
    H = H[:, scored]
    n_ref = R.sum(axis=0)
    n_hyp = H.sum(axis=0)
    mapping: dict[str, str] = {}
    correct = 0.0
    if ref_spk and hyp_spk:
        co = R.astype(np.float64) @ H.astype(np.float64).T  # (n_ref_spk, n_hyp_spk)
        ri, hi_ = linear_sum_assignment(-co)
        for i, j in zip(ri, hi_):
            mapping[hyp_spk[j]] = ref_spk[i]
            correct += co[i, j]
    missed = np.maximum(n_ref - n_hyp, 0).sum()
    false_alarm = np.maximum(n_hyp - n_ref, 0).sum()
    confusion = np.minimum(n_ref, n_hyp).sum() - correct
    return DiarizationScore(
        reference=float(n_ref.sum() * step), missed=float(missed * step),
        false_alarm=float(false_alarm * step), confusion=float(confusion * step), mapping=mapping,
    )


def parse_rttm(text: str) -> dict[str, list[SpeechRegion]]:
    """Parse RTTM ``SPEAKER`` lines into regions per file id."""
    out: dict[str, list[SpeechRegion]] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0] != "SPEAKER":
            continue
        try:
            start, dur = float(parts[3]), float(parts[4])
            speaker = parts[7]
        except (IndexError, ValueError) as e:
            raise ParameterError(f"RTTM line {lineno} is malformed: {line!r}") from e
        out.setdefault(parts[1], []).append(SpeechRegion(start, start + dur, speaker))
    return out


def parse_uem(text: str) -> dict[str, tuple[float, float]]:
    """Parse UEM lines ``file channel start end`` into a scored span per file id."""
    out: dict[str, tuple[float, float]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 4:
            try:
                out[parts[0]] = (float(parts[2]), float(parts[3]))
            except ValueError:
                continue
    return out


def to_rttm(regions: Iterable[SpeechRegion], file_id: str) -> str:
    """Write regions as RTTM ``SPEAKER`` lines."""
    lines = [
        f"SPEAKER {file_id} 1 {r.start:.3f} {r.end - r.start:.3f} <NA> <NA> {r.speaker} <NA> <NA>"
        for r in sorted(regions, key=lambda r: (r.start, r.speaker))
    ]
    return "\n".join(lines) + ("\n" if lines else "")
