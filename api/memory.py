"""Keep the server's memory level under load: at most a few malloc arenas (glibc) for all worker threads.

glibc gives each thread that allocates concurrently an arena of its own (up to 8 per core). The supervisors'
figures allocate and free tens of megabytes per request on up to 40 worker threads; the freed memory stays in
the threads' arenas, fragmented, and the process grew by hundreds of megabytes without levelling off
(measured: 723 -> 1,035 MB in 150 s of mixed load; with two arenas 684 -> 830 MB, then level).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8  # mallopt parameter (malloc.h)
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Limit glibc's malloc arenas for this process and the processes it starts; False where there is no glibc.

    Call it early (before the worker threads allocate); ``MALLOC_ARENA_MAX`` in the environment wins.
    """
    wanted = int(os.environ.setdefault("MALLOC_ARENA_MAX", str(arenas)))  # inherited by worker processes
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    return bool(mallopt(M_ARENA_MAX, wanted))
