"""Rendered report pages kept in memory, keyed by everything that goes into them.

The report page's costly part (parsing the stored report, building its summary rows,
chart data and transcript, rendering the template) depends only on the stored
report, the session and job rows, the comments, the viewer and their rights. That
is the key: a page is rendered once per version of those and then served from
memory. Only two things differ per response, the CSRF token and the CSP nonce;
they are swapped into the stored page for every response, so no token or nonce is
ever served twice. Access checks run before the cache is consulted.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["PageCache", "StoredPage", "page_key"]


def page_key(*parts) -> str:
    """A digest of ``parts`` (their ``repr``; rows as tuples), safe to keep as a key."""
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


@dataclass(frozen=True)
class StoredPage:
    """A rendered page and the per-response values it was rendered with."""

    html: str
    csrf_token: str
    nonce: str

    def with_values(self, csrf_token: str, nonce: str) -> str:
        """The page with this response's token and nonce in place of the stored ones."""
        html = self.html
        if self.csrf_token:
            html = html.replace(self.csrf_token, csrf_token)
        if self.nonce:
            html = html.replace(self.nonce, nonce)
        return html


class PageCache:
    """A small thread-safe LRU of rendered pages (``capacity`` pages at most)."""

    def __init__(self, capacity: int = 128) -> None:
        self.capacity = int(capacity)
        self._pages: OrderedDict[str, StoredPage] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.renders = 0

    def get(self, key: str) -> StoredPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                self.hits += 1
            return page

    def put(self, key: str, page: StoredPage) -> None:
        if self.capacity <= 0:
            return
        with self._lock:
            self.renders += 1
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.capacity:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()

    def __len__(self) -> int:
        return len(self._pages)
