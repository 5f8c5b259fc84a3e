"""Settings of mono diarization (:mod:`analysis.speakers.diarize`), shared with its steps."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.errors import ParameterError
from analysis.speakers.energy_vad import VadOptions

__all__ = ["DiarizeOptions"]


@dataclass(frozen=True)
class DiarizeOptions:
    """Mono diarization settings (seconds unless stated)."""

    max_speakers: int = 2
    # how many people speak, when the user said so (e.g. "the helper speaks first" means two): 2 skips
    # the one-vs-two decision and keeps both voices however little the second speaks; None: decide
    num_speakers: int | None = None
    hop: float = 0.02
    window: float = 1.5
    step: float = 0.5
    bridge: float = 0.5  # join speech across shorter pauses before clustering
    min_speech: float = 0.2
    min_separation: float = 0.75  # cluster means closer than this (in frame std units) are one voice
    # between min_separation and this, one voice and two similar voices overlap (hard sets, dev half):
    # two speakers are reported (the best split) with ``uncertain_count`` and a note asking for the order
    sure_separation: float = 1.6
    min_unsure_speech: float = 3.0  # with speech between this and min_two_speech: one speaker, flagged unsure
    third_speaker_separation: float = 1.6  # every pair of three clusters this far apart (and
    third_speaker_ratio: float = 0.9  # at least this fraction of the 2-cluster separation): a third voice
    min_share: float = 0.04  # a "speaker" with less speech time than this share is merged
    # less speech than this (s, after bridging): one speaker with a note. One voice with a varied
    # delivery over 9.6 s (tests/data/jfk.flac) separates as far as two voices over 15.6 s (AMI dev01).
    min_two_speech: float = 12.0
    resegment: bool = True
    resegment_passes: int = 2
    trim_edges: float = 0.15  # cut up to this much quiet VAD padding off each speech edge
    snap_changes: float = 0.4  # look this far for the pause at a speaker change (0: off)
    max_train_frames: int = 3000  # frames per speaker to fit its resegmentation GMM (more: slower, same DER)
    core_db: float = 30.0  # only frames within this of the loudest describe a voice
    embedding: str = "stats"  # "stats": mean+std of cepstra; "map": GMM mean supervectors
    ubm_components: int = 16
    cluster: str = "ward"  # "ward", "spectral" (cosine affinity) or "average" (cosine)
    map_relevance: float = 8.0
    embed_dims: int = 20
    gmm_components: int = 4
    reseg_equal_components: bool = False  # tried: mixed (docs/evaluation/speakers-hard-sets.md)
    smooth: float = 0.6  # median-smoothing span of frame decisions
    min_turn: float = 0.3  # label runs shorter than this take their neighbour's label
    vad: VadOptions = VadOptions(top_db=40.0, bridge=0.5)
    seed: int = 0
    # one-vs-two checked by voiceprints (only when diarize() is given a ``voice_embedder``, and only
    # when the MFCC clusters say two): windows of ``voice_window`` s every ``voice_step`` s inside
    # speech are embedded, split in two, and the two groups' mean voiceprints compared (cosine).
    # Thresholds read off the dev half of the hard sets (docs/evaluation/speakers-hard-sets.md).
    voice_window: float = 1.6
    voice_step: float = 0.8
    voice_max_windows: int = 0  # at most this many windows (spread evenly); 0: no limit
    # with > 0: embed at most this many windows per MFCC cluster (the cost is bounded whatever the
    # length): each cluster's windows, in time order, are cut into this many runs and the window
    # whose MFCC label is most stable is taken from each run (voice_max_windows is then not used)
    voice_per_cluster: int = 32
    voice_two_below: float = 0.93  # mean voiceprints less alike than this: two voices, else one
    voice_sure_below: float = 0.87  # ... below this, two voices for sure (0.87-0.93: two, unsure)
    voice_one_above: float = 0.95  # one voice for sure above this (0.93-0.95: one, unsure)
    voice_min_share: float = 0.05  # the smaller voiceprint group has at least this share of the windows
    voice_labels: bool = False  # start resegmentation from the voiceprint groups (else from MFCC clusters)

    def __post_init__(self):
        if self.max_speakers < 1:
            raise ParameterError(f"max_speakers={self.max_speakers} must be at least 1")
        if self.window <= 0 or self.step <= 0 or self.hop <= 0:
            raise ParameterError("window, step and hop must be positive")
        if self.num_speakers is not None and self.num_speakers not in (1, 2):
            raise ParameterError(f"num_speakers={self.num_speakers} must be 1, 2 or None (decide)")
        if self.voice_window <= 0 or self.voice_step <= 0:
            raise ParameterError("voice_window and voice_step must be positive")
        if self.voice_per_cluster < 0 or self.voice_max_windows < 0:
            raise ParameterError("voice_per_cluster and voice_max_windows must be 0 (no limit) or more")
