"""Settings of mono diarization (:mod:`analysis.speakers.diarize`), shared with its steps."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.errors import ParameterError
from analysis.speakers.energy_vad import VadOptions

__all__ = ["DiarizeOptions", "VoiceRule", "CAMPP_RULE"]


@dataclass(frozen=True)
class VoiceRule:
    """How one speaker encoder's voiceprints decide one voice or two (cosine of the two groups' means).

    ``two_below``: less alike than this, two voices, else one; ``sure_below``: below it two for sure
    (between it and ``two_below``: two, unsure); ``one_above``: one for sure above it (between
    ``two_below`` and it: one, unsure); ``labels_below``: when two voices are this far apart (similarity
    under it), the voiceprint groups start resegmentation (else the MFCC clusters do), also when the
    user said two people speak (0: never); ``per_cluster``: windows embedded per MFCC cluster
    (0: every window).
    """

    two_below: float
    sure_below: float
    one_above: float
    labels_below: float = 0.0
    per_cluster: int = 32

    def __post_init__(self):
        if not self.sure_below <= self.two_below <= self.one_above:
            raise ParameterError(f"need sure_below <= two_below <= one_above, got {self.sure_below}, "
                                 f"{self.two_below}, {self.one_above}")
        if self.per_cluster < 0:
            raise ParameterError(f"per_cluster={self.per_cluster} must be 0 (every window) or more")


# CAM++ (analysis/speakers/campp.py): its voiceprints of two real people are far less alike than GE2E's
# (AMI two-speaker excerpts 0.25-0.42 against 0.82-0.86), so its thresholds are its own, each chosen
# leaving one source out (docs/evaluation/history.md, "CAM++ voiceprints"; scripts/experiments/campp_cv.py):
# two_below by the one-vs-two decisions of every set (0.84-0.875 held out; all: 0.87); sure_below just
# under the least alike single voice (0.768; all single voices are synthetic or channels of the
# dialogues); labels_below by the DER of the real recordings (AMI; one excerpt held out at a time:
# 0.525-0.595; all: 0.535): synthetic voices are more alike to CAM++ (two synthetic voices
# 0.43-0.87, one 0.77-0.92). one_above: above every two-person recording seen (0.867).
CAMPP_RULE = VoiceRule(two_below=0.87, sure_below=0.763, one_above=0.9, labels_below=0.535, per_cluster=32)


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
    # the voice_two_below ... voice_labels above are the GE2E encoder's rule; CAM++'s is this one
    campp: VoiceRule = CAMPP_RULE

    def voice_rule(self, encoder: str) -> VoiceRule:
        """The rule for voiceprints of ``encoder`` ("campp" or "ge2e")."""
        if encoder == "campp":
            return self.campp
        return VoiceRule(self.voice_two_below, self.voice_sure_below, self.voice_one_above,
                         1.0 if self.voice_labels else 0.0, self.voice_per_cluster)

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
