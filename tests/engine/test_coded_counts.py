"""``info``'s count of files coded per model is kept by triggers (m012); it must always equal
the count made from scratch, whatever sequence of writes a library sees."""

from __future__ import annotations

import random
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
