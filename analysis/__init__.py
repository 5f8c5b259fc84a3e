"""Pure analysis stages of ListenWell (no files, devices, models or Flask)."""

import os as _os

# librosa compiles its numba kernels on first use and caches them beside the
# installed package; where that folder is read-only every process would pay
# again (20-70 s), so point numba at a writable per-user cache before any
# librosa import.
_os.environ.setdefault(
    "NUMBA_CACHE_DIR",
    _os.path.join(
        _os.environ.get("XDG_CACHE_HOME") or _os.path.expanduser("~/.cache"), "listenwell", "numba"
    ),
)
