"""Event ids commit in order, so a reader following `id > cursor` never skips an event of a slow writer."""

from __future__ import annotations

import threading
import time

from gis.settings import DatabaseSettings
from gis.storage.events import append_event, events_after, latest_event_id
from gis.storage.pool import connect


def test_a_slow_writer_is_never_skipped_by_a_reader(db_settings: DatabaseSettings) -> None:
    with connect(db_settings) as c:
        start = latest_event_id(c)
    written: list[int] = []
    first_appended = threading.Event()

    def slow_writer() -> None:  # draws its id first, commits last
        with connect(db_settings) as c:
            written.append(append_event(c, kind="test.slow", town_code=None, payload={}))
            first_appended.set()
            time.sleep(0.8)
            c.commit()

    def fast_writer(n: int) -> None:
        first_appended.wait(5)
        with connect(db_settings) as c:
            written.append(append_event(c, kind="test.fast", town_code=None, payload={"n": n}))
            c.commit()

    seen: list[int] = []
    stop = threading.Event()

    def reader() -> None:  # what a live stream does: read after its cursor, advance to the last id read
        cursor = start
        with connect(db_settings, autocommit=True) as c:
            while not stop.is_set():
                batch = events_after(c, after_id=cursor)
                for event in batch:
                    if event.kind.startswith("test."):
                        seen.append(event.id)
                    cursor = event.id
                time.sleep(0.02)

    threads = [threading.Thread(target=slow_writer)] + [threading.Thread(target=fast_writer, args=(i,))
                                                        for i in range(5)]
    watcher = threading.Thread(target=reader)
    watcher.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(0.3)
    stop.set()
    watcher.join()
    assert len(written) == 6
    assert seen == sorted(written)  # every event, in id order, none skipped
