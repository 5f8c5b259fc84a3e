"""The standalone report page (``/sessions/<id>/full``): rendered once per version of a report,
stored in ``<instance>/full`` and served from there, under a CSP that allows its own styles by hash.

The job runner stores it as soon as an analysis finishes; the web route renders it on first
use only if that did not happen (an older instance, a failed render).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from pathlib import Path

from service.store.storage import private_dir
from service.web.report_page import public_report

__all__ = ["RENDER_COUNT", "full_page_csp", "full_page_path", "stored_full_page", "stored_page_csp"]

logger = logging.getLogger(__name__)

RENDER_COUNT = {"full": 0}
"""How many standalone pages this process has rendered (tests check it stays put on a second request)."""
_FULL_LOCK = threading.Lock()


def full_page_path(instance_dir: str | Path, session_id: int, report_json: str) -> Path:
    """Where the standalone page of this version of the report is stored."""
    digest = hashlib.sha1(report_json.encode("utf-8")).hexdigest()[:16]
    return Path(instance_dir) / "full" / f"{int(session_id)}-{digest}.html"


def render_full(report: dict) -> str:
    try:
        from analysis.report.html import render_html
        from analysis.report.types import Report
    except ImportError:
        return "<pre>" + json.dumps(report, indent=2).replace("&", "&amp;").replace("<", "&lt;") + "</pre>"
    return render_html(Report.from_dict(report))


def stored_full_page(instance_dir: str | Path, session, report_json: str) -> Path:
    """The stored standalone page of a report, rendering and writing it on first use only.

    Older versions of the session's page (from an earlier analysis) are removed.
    """
    path = full_page_path(instance_dir, session["id"], report_json)
    if path.exists():
        return path
    with _FULL_LOCK:
        if path.exists():
            return path
        html = render_full(public_report(json.loads(report_json), dict(session)))
        RENDER_COUNT["full"] += 1
        private_dir(path.parent)  # 0700 from the first moment (mkstemp makes the file 0600)
        for old in path.parent.glob(f"{int(session['id'])}-*.html"):
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(html)
        os.replace(tmp, path)
        logger.info("stored the standalone report of session %s", session["id"])
    return path


@functools.lru_cache(maxsize=256)
def stored_page_csp(path: str, mtime_ns: int) -> str:
    """The CSP of a stored page, read once per version of the file."""
    return full_page_csp(Path(path).read_text(encoding="utf-8"))


def full_page_csp(page: str) -> str:
    """A CSP for a stored standalone report: its own <style> blocks (by hash), no script at all."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii") + "'"
        for css in re.findall(r"<style[^>]*>(.*?)</style>", page, flags=re.DOTALL)
    )
    style_src = hashes or "'none'"
    return (f"default-src 'none'; img-src 'self' data:; style-src {style_src}; "
            "style-src-attr 'unsafe-inline'; script-src 'none'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")


