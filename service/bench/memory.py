"""Peak resident memory of this process, measured from its own start."""

from __future__ import annotations

import resource
from pathlib import Path

__all__ = ["peak_rss_mb"]


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB.

    Linux keeps ``ru_maxrss`` across ``exec``: a benchmark child forked from a large
    parent (a long test run, say) would report the parent's size. ``VmHWM`` in
    ``/proc/self/status`` belongs to the memory of the running program only, so it
    is read first; ``ru_maxrss`` is the fallback elsewhere.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
