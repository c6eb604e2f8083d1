"""The library's schema history, as sqlite-utils migrations (each step runs in a transaction).

Never edit a step that has shipped: add a new one. A library that has applied a step this
Twinlens does not know was written by a newer version and is refused (store.py).
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

MIGRATION_SET = "twinlens"
migrations = Migrations(MIGRATION_SET)


@migrations()
def m001_initial(db: Database) -> None:
    """Photos by path, facts and codes by content, the library's roots and settings."""
    db.table("contents").create(
        {
            "hash": str,
            "width": int,
            "height": int,
            "format": str,
            "camera": str,
            "taken_at": str,
        },
        pk="hash",
    )
    db.table("photos").create(
        {
            "id": int,
            "path": str,
            "size": int,
            "mtime_ns": int,
            "hash": str,
            "status": str,  # indexed | error
            "reason": str,  # errors.DecodeReason value when status is error
            "detail": str,
            "updated_at": float,
        },
        pk="id",
        not_null={"path", "status"},
    )
    db.table("photos").create_index(["path"], unique=True)
    db.table("photos").create_index(["hash"])
    db.table("photos").create_index(["status"])
    db.table("codes").create(
        {"hash": str, "model": str, "code": bytes},
        pk=("hash", "model"),
    )
    db.table("roots").create({"path": str, "added_at": float}, pk="path")
    db.table("settings").create({"key": str, "value": str}, pk="key")


def known_names() -> set[str]:
    """Names of every migration this version knows."""
    return {migration.name for migration in migrations._migrations}


@migrations()
def m002_trash_journal_and_dismissals(db: Database) -> None:
    """Undo journal for removals (survives restarts) and remembered "not a duplicate" groups."""
    db.table("trash_steps").create({"id": int, "created_at": float, "undone_at": float}, pk="id")
    db.table("trash_items").create(
        {
            "id": int,
            "step": int,
            "path": str,
            "hash": str,
            "size": int,
            "mtime_ns": int,
            "location": str,  # where the file is in the system trash, to restore it
            "state": str,  # pending | trashed | restored
        },
        pk="id",
        foreign_keys=[("step", "trash_steps", "id")],
    )
    db.table("trash_items").create_index(["step"])
    db.table("dismissed").create({"hashes": str, "created_at": float}, pk="hashes")


@migrations()
def m003_content_signature(db: Database) -> None:
    """Pixel-structure signature per content, to verify duplicates found by code (signature.py)."""
    db.table("contents").add_column("signature", bytes)


@migrations()
def m004_paths_as_bytes(db: Database) -> None:
    """Paths become their exact bytes on disk (BLOB), so a name that is not UTF-8 is stored."""
    for table in ("photos", "roots", "trash_items"):
        db.execute(f"update {table} set path = cast(path as blob) where typeof(path) = 'text'")


@migrations()
def m005_trash_outcomes(db: Database) -> None:
    """Why one file of a removal step failed, and where undo puts it back (crash recovery)."""
    db.table("trash_items").add_column("detail", str)
    db.table("trash_items").add_column("target", bytes)


@migrations()
def m006_code_kinds(db: Database) -> None:
    """A photo may have several codes of one model, each of a kind (semantic, duplicate...)."""
    db.execute(
        "create table codes_by_kind (hash text not null, model text not null,"
        " kind text not null default 'semantic', code blob, primary key (hash, model, kind))"
    )
    db.execute(
        "insert into codes_by_kind (hash, model, kind, code)"
        " select hash, model, 'semantic', code from codes"
    )
    db.execute("drop table codes")
    db.execute("alter table codes_by_kind rename to codes")


@migrations()
def m007_verification(db: Database) -> None:
    """What duplicate verification needs per content (a 32x32 grey thumbnail, colour
    saturation, JPEG quality) and its cached verdicts, by pair of contents and verifier."""
    contents = db.table("contents")
    contents.add_column("thumb", bytes)
    contents.add_column("saturation", float)
    contents.add_column("quality", int)
    db.table("verdicts").create(
        {
            "low": str,  # the smaller content hash of the pair
            "high": str,
            "verifier": str,  # verify.VERIFIER: a new verifier never reads an old verdict
            "tier": str,  # same_photo | edited_copy | "" (not a duplicate)
            "edit": str,  # what the copy is, in words ("cropped to 82 %"), or ""
            "created_at": float,
        },
        pk=("low", "high", "verifier"),
    )


@migrations()
def m008_trim_signature(db: Database) -> None:
    """The signature of the picture inside uniform bars or a frame (letterbox, border), a
    candidate source of its own (matching/candidates.trimmed_pairs)."""
    contents = db.table("contents")
    if "trim_signature" not in contents.columns_dict:  # libraries written before it existed
        contents.add_column("trim_signature", bytes)


@migrations()
def m009_compression(db: Database) -> None:
    """How lossy each content is (media/compression.py: raw, lossless, from_jpeg, lossy,
    palette), for the keeper rule. Left null for contents indexed before: JPEGs are lossy
    anyway, and the next scan decodes other formats once more to find out (store.py
    ``hashes_with_code``)."""
    db.table("contents").add_column("compression", str)


@migrations()
def m010_reference_folders(db: Database) -> None:
    """Folders whose photos are always kept: never proposed for removal, keepers first."""
    db.table("reference_folders").create({"path": bytes, "added_at": float}, pk="path")


@migrations()
def m011_moves(db: Database) -> None:
    """A removal step either goes to the system trash or is moved to a folder the person
    chose (``location`` is then the file's new place); undo brings either back."""
    db.table("trash_steps").add_column("method", str)
    db.table("trash_steps").add_column("destination", bytes)


_CODE_IN_TRIGGER = (
    # A content gains its first code of a model: each of its indexed files now counts.
    # "+status": without it SQLite picks the status index (nearly every row is 'indexed') over
    # the hash index, and every code written scans every file (m014_code_trigger_by_hash).
    """create trigger coded_files_code_in after insert on codes
    when (select count(*) from codes where hash = new.hash and model = new.model) = 1 begin
        insert into coded_files (model, files)
        select new.model, count(*) from photos where hash = new.hash and +status = 'indexed'
        on conflict(model) do update set files = files + excluded.files;
    end"""
)

_CODED_TRIGGERS = (
    # A file becomes indexed (or changes content): it counts for every model its content has.
    """create trigger coded_files_photo_in after insert on photos
    when new.status = 'indexed' and new.hash is not null begin
        insert into coded_files (model, files)
        select model, 1 from codes where hash = new.hash group by model
        on conflict(model) do update set files = files + 1;
    end""",
    """create trigger coded_files_photo_out after delete on photos
    when old.status = 'indexed' and old.hash is not null begin
        update coded_files set files = files - 1
        where model in (select model from codes where hash = old.hash);
    end""",
    """create trigger coded_files_photo_changed after update of status, hash on photos
    when (old.status, old.hash) is not (new.status, new.hash) begin
        update coded_files set files = files - 1
        where old.status = 'indexed'
        and model in (select model from codes where hash = old.hash);
        insert into coded_files (model, files)
        select model, 1 from codes
        where new.status = 'indexed' and hash = new.hash group by model
        on conflict(model) do update set files = files + 1;
    end""",
    _CODE_IN_TRIGGER,
)


@migrations()
def m012_coded_files(db: Database) -> None:
    """How many indexed files have a code of each model, kept by triggers: ``info`` read it
    as a correlated count over every file (820 ms at a million files, docs/scale.md). Codes
    are never deleted (renamed copies keep theirs), so inserts and file changes suffice."""
    db.execute("create table coded_files (model text primary key, files integer not null)")
    db.execute(
        "insert into coded_files (model, files)"
        " select c.model, count(*) from photos p"
        " join (select distinct hash, model from codes) c on c.hash = p.hash"
        " where p.status = 'indexed' group by c.model"
    )
    for trigger in _CODED_TRIGGERS:
        db.execute(trigger)


@migrations()
def m013_signature_pairs(db: Database) -> None:
    """Candidate pairs by pixel-structure signature, kept as photos arrive: a library of a
    million photos spends minutes searching every signature in eight variants, so each
    content is searched once against the library (``paired``) and its close pairs are kept
    (``signature_pairs``), by finder (the signature search's version and radius)."""
    db.execute(
        "create table signature_pairs (low text not null, high text not null,"
        " finder text not null, distance integer not null, variant integer not null,"
        " primary key (low, high, finder)) without rowid"
    )
    db.execute(
        # Columns in key order: SQLite 3.40's quick_check misreads a WITHOUT ROWID table
        # whose key lists its columns in another order ("NULL value in paired.hash").
        "create table paired (finder text not null, hash text not null,"
        " primary key (finder, hash)) without rowid"
    )


@migrations()
def m014_code_trigger_by_hash(db: Database) -> None:
    """m012's code trigger counted a content's files through the status index, a scan of
    every indexed file per code written: a scan slowed down as the library grew (20,000
    records written in 8 s into an empty library, 200,000 not done after 16 minutes)."""
    db.execute("drop trigger if exists coded_files_code_in")
    db.execute(_CODE_IN_TRIGGER)
