"""The lazy import of sounddevice and the typed errors for PortAudio failures.

``sounddevice`` raises ``OSError`` at import when the PortAudio library
(Debian ``libportaudio2``) is absent, so it is imported only here, on demand.
"""

from __future__ import annotations

from analysis.errors import (
    DeviceBusyError,
    NoInputDeviceError,
    PortAudioMissingError,
    RecordingError,
)

__all__ = [
    "load_sounddevice",
    "wrap_portaudio_error",
]


_MISSING_HELP = (
    "recording needs the PortAudio library: install it with "
    "'sudo apt-get install libportaudio2' (Debian/Ubuntu), 'brew install portaudio' (macOS), "
    "or 'pip install sounddevice' on Windows"
)


def load_sounddevice():
    """Import and return ``sounddevice``, or raise :class:`PortAudioMissingError`."""
    try:
        import sounddevice
    except OSError as e:  # libportaudio2 absent: sounddevice raises at import
        raise PortAudioMissingError(f"{_MISSING_HELP} ({e})") from e
    except ImportError as e:
        raise PortAudioMissingError(f"the Python package sounddevice is missing; {_MISSING_HELP}") from e
    return sounddevice


_BUSY_MARKERS = ("busy", "unavailable", "-9985", "in use", "resource temporarily")
_NO_DEVICE_MARKERS = ("querying device -1", "no default", "invalid device", "-9996", "no device")


def wrap_portaudio_error(e: Exception, device_label: str) -> RecordingError:
    """Turn a PortAudio error into the typed error that says what to do about it."""
    text = str(e)
    low = text.lower()
    if any(m in low for m in _BUSY_MARKERS):
        return DeviceBusyError(
            f"the sound device {device_label} is busy or unavailable ({text}); close other programs "
            "that use the microphone (browser tabs, video calls) and try again"
        )
    if any(m in low for m in _NO_DEVICE_MARKERS):
        return NoInputDeviceError(
            f"no usable input device {device_label} ({text}); plug in a microphone, "
            "or run 'listenwell devices' to list the devices and pick one with --device"
        )
    return RecordingError(f"could not use the sound device {device_label}: {text}")
