"""``info``'s count of files coded per model is kept by triggers (m012); it must always equal
the count made from scratch, whatever sequence of writes a library sees."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from twinlens.engine.storage.store import Store

MODELS = ("model-a@1", "model-b@2")


def counted_from_scratch(store: Store, model: str) -> int:
    return int(
        store.scalar(
            "select count(*) from photos p where p.status = 'indexed' and exists"
            " (select 1 from codes c where c.hash = p.hash and c.model = ?)",
            [model],
        )
    )


def kept(store: Store, model: str) -> int:
    return store.counts(model)[1]


def test_counts_follow_every_kind_of_write(tmp_path: Path) -> None:
    store = Store(tmp_path / "lib.twinlens")
    rng = random.Random(7)
    paths = [f"/photos/{i}.jpg" for i in range(30)]
    contents = [f"h{i}" for i in range(12)]
    for step in range(400):
        path, content = rng.choice(paths), rng.choice(contents)
        model, kind = rng.choice(MODELS), rng.choice(("semantic", "duplicate"))
        action = rng.random()
        if action < 0.35:  # a file indexed, its content coded now or already
            codes = [(content, model, kind, b"\x01" * 8)] if rng.random() < 0.7 else []
            store.record_indexed([(path, 1, step, content)], codes=codes)
        elif action < 0.5:  # a code alone (another model, or an import of codes first)
            store.record_indexed([], codes=[(content, model, kind, b"\x02" * 8)])
        elif action < 0.65:  # the file became unreadable
            store.record_errors([(path, 1, step, "corrupt", "bad bytes")])
        elif action < 0.8:  # the file is gone
            store.forget_paths([path])
        elif action < 0.9:  # a folder stops being tracked
            store.remove_root("/photos")
        else:  # a file's bytes changed: same path, another content
            store.record_indexed([(path, 2, step, rng.choice(contents))])
        for name in MODELS:
            assert kept(store, name) == counted_from_scratch(store, name), (step, name)
    assert any(counted_from_scratch(store, name) for name in MODELS)  # the walk built some
    store.close()


def test_a_library_written_before_the_triggers_is_counted_once(tmp_path: Path) -> None:
    path = tmp_path / "lib.twinlens"
    store = Store(path)
    store.record_indexed(
        [("/p/a.jpg", 1, 1, "h1"), ("/p/b.jpg", 1, 1, "h1"), ("/p/c.jpg", 1, 1, "h2")],
        codes=[("h1", "m@1", "semantic", b"x"), ("h1", "m@1", "duplicate", b"y")],
    )
    # The state m012 meets in an old library: no kept counts yet, then the migration's fill.
    store.db.execute("delete from coded_files")
    store.db.execute("delete from _sqlite_migrations where name = 'm012_coded_files'")
    for trigger in ("photo_in", "photo_out", "photo_changed", "code_in"):
        store.db.execute(f"drop trigger coded_files_{trigger}")
    store.db.execute("drop table coded_files")
    store.db.conn.commit()
    store.close()
    reopened = Store(path)
    assert kept(reopened, "m@1") == counted_from_scratch(reopened, "m@1") == 2
    reopened.close()


def _steps(store: Store, work: Callable[[], object]) -> int:
    """SQLite virtual-machine steps (in hundreds) that ``work`` costs: a count of work, not
    a time, so it does not depend on the machine's load."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    store.db.conn.set_progress_handler(count, 100)
    work()
    store.db.conn.set_progress_handler(None, 0)
    return steps


def _steps_to_index_one_photo(store: Store, serial: int) -> int:
    content = f"new{serial}"
    return _steps(
        store,
        lambda: store.record_indexed(
            [(f"/new/{serial}.jpg", 1, 1, content)],
            codes=[(content, MODELS[0], "semantic", b"\1" * 8)],
        ),
    )


def test_writing_a_photo_costs_the_same_in_a_large_library(tmp_path: Path) -> None:
    """The triggers look a content's files up by hash: writing one photo must not scan every
    indexed file (it did, through the status index, until m014: a large scan slowed down as
    it went)."""
    store = Store(tmp_path / "lib.twinlens")
    small = _steps_to_index_one_photo(store, 0)
    files = [(f"/photos/{i}.jpg", 1, 1, f"h{i}") for i in range(20_000)]
    codes = [(f"h{i}", MODELS[0], "semantic", b"\1" * 8) for i in range(20_000)]
    store.record_indexed(files, codes=codes)
    large = _steps_to_index_one_photo(store, 1)
    # The removal's re-check of the copies that stay asks the same question.
    assert _steps(store, lambda: store.paths_with_hash("h7")) <= 2
    assert kept(store, MODELS[0]) == counted_from_scratch(store, MODELS[0]) == 20_002
    assert large <= 2 * small + 5, (small, large)
    store.close()
