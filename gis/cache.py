"""A least-recently-used cache bounded by the bytes it holds (a process's memory must level off under load)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class ByteBoundedCache:
    """Byte strings by key; the least recently used go first once the values pass ``max_bytes`` in all.

    A value larger than a quarter of the budget is not kept (one huge answer must not empty the cache).
    Safe to share between threads and the event loop.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> bytes | None:
        """The value for ``key`` (now the most recently used), or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: bytes) -> None:
        """Keep ``value`` under ``key``, dropping the least recently used values over the budget."""
        if len(value) > self.max_bytes // 4:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.nbytes -= len(old)
            self._items[key] = value
            self.nbytes += len(value)
            while self.nbytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self.nbytes -= len(dropped)
