"""Two workers opening a fresh run-history database at the same moment both get its tables."""

from __future__ import annotations

import threading
from pathlib import Path

from gongkai.schedule.history import History


def test_fresh_sqlite_history_opened_at_once(tmp_path: Path) -> None:
    for attempt in range(5):
        url = f"sqlite:///{tmp_path / f'runs{attempt}.sqlite'}"
        barrier = threading.Barrier(8)
        errors: list[BaseException] = []

        def open_it(url: str = url, barrier: threading.Barrier = barrier, errors: list[BaseException] = errors) -> None:
            barrier.wait()
            try:
                History(url).dispose()
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=open_it) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[0]
        assert History(url).runs() == []
