"""One root exception for ListenWell, with an HTTP status and a CLI exit code each."""

from __future__ import annotations

__all__ = [
    "ListenWellError",
    "AudioError",
    "EmptyFileError",
    "NotAudioError",
    "UnsupportedFormatError",
    "CorruptAudioError",
    "ZeroLengthAudioError",
    "AudioTooLongError",
    "AudioTooShortError",
    "NoSpeechError",
    "ModelUnavailableError",
    "DeviceUnavailableError",
    "ParameterError",
    "NotFoundError",
    "ForbiddenError",
    "QueueFullError",
    "RecordingError",
    "PortAudioMissingError",
    "NoInputDeviceError",
    "DeviceBusyError",
]


class ListenWellError(Exception):
    """Root of every error ListenWell raises on purpose.

    Each subclass says how it maps to the outside world: ``status_code`` for the
    HTTP API and ``exit_code`` for the CLI.
    """

    status_code = 500
    exit_code = 1
    kind = "error"

    def __init__(self, message: str, *, path: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path

    def to_dict(self) -> dict:
        out = {"error": self.kind, "message": self.message}
        if self.path:
            out["path"] = self.path
        return out


class ParameterError(ListenWellError):
    """A bad argument or setting (names the bad value)."""

    status_code = 400
    exit_code = 2
    kind = "bad_parameter"


class AudioError(ListenWellError):
    """Any problem with an input audio file."""

    status_code = 422
    exit_code = 10
    kind = "bad_audio"


class EmptyFileError(AudioError):
    exit_code = 11
    kind = "empty_file"


class NotAudioError(AudioError):
    status_code = 415
    exit_code = 12
    kind = "not_audio"


class UnsupportedFormatError(AudioError):
    status_code = 415
    exit_code = 13
    kind = "unsupported_format"


class CorruptAudioError(AudioError):
    exit_code = 14
    kind = "corrupt_audio"


class ZeroLengthAudioError(AudioError):
    exit_code = 15
    kind = "zero_length_audio"


class AudioTooLongError(AudioError):
    status_code = 413
    exit_code = 16
    kind = "audio_too_long"


class AudioTooShortError(AudioError):
    exit_code = 17
    kind = "audio_too_short"


class NoSpeechError(AudioError):
    exit_code = 18
    kind = "no_speech"


class ModelUnavailableError(ListenWellError):
    status_code = 503
    exit_code = 20
    kind = "model_unavailable"


class DeviceUnavailableError(ListenWellError):
    status_code = 503
    exit_code = 21
    kind = "device_unavailable"


class NotFoundError(ListenWellError):
    status_code = 404
    exit_code = 30
    kind = "not_found"


class ForbiddenError(ListenWellError):
    status_code = 403
    exit_code = 31
    kind = "forbidden"


class QueueFullError(ListenWellError):
    """A user's share of the job queue is full (queued minutes of audio, scenarios waiting to be voiced)."""

    status_code = 429
    exit_code = 32
    kind = "queue_full"


class RecordingError(ListenWellError):
    """Recording or playback through the sound card failed."""

    status_code = 503
    exit_code = 50
    kind = "recording_failed"


class PortAudioMissingError(RecordingError):
    """The PortAudio library is not installed (or sounddevice is missing)."""

    exit_code = 51
    kind = "portaudio_missing"


class NoInputDeviceError(RecordingError):
    """No microphone (input device) is present, or the one asked for does not exist."""

    exit_code = 52
    kind = "no_input_device"


class DeviceBusyError(RecordingError):
    """The device exists but cannot be opened now (another program holds it)."""

    exit_code = 53
    kind = "device_busy"
