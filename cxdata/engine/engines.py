"""The engine the metric layer runs on, chosen by configuration: ``CX_ENGINE`` or ``--engine``.

- ``duckdb`` (default): the database file itself, read-only; it also serves the dashboard, and
  only on it the rollups are read (their readers are hand-written DuckDB SQL, a fast path whose
  reference is the portable Ibis definitions).
- ``polars``: the file's tables exported once per data version to Parquet, scanned lazily by an
  Ibis polars backend.
- ``spark``: the same definitions on Apache Spark, in a local session reading that Parquet export;
  with ``CX_SPARK_REMOTE`` (``sc://host:15002``) a Spark Connect session, to which the exported
  tables are sent over the connection (a cluster cannot read this machine's folders).

Every engine other than DuckDB answers from the raw tables with the Ibis definitions: the rollups
are never exported and ``rollups_are_fresh`` says no for them. polars and pyspark are imported
only here, only when chosen, so the dashboard's imports never pull them in.
"""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import uuid
from pathlib import Path

from cxdata.engine.db import is_duckdb, open_snapshot, read_meta
from cxdata.i18n import WordedError, register_text
from cxdata.model.schema import TABLES

ENGINES = ("duckdb", "polars", "spark")
DEFAULT_ENGINE = "duckdb"
ENGINE_VARIABLE = "CX_ENGINE"
SPARK_REMOTE_VARIABLE = "CX_SPARK_REMOTE"
# Where the Parquet export of a database lives: beside it, one folder per data version.
EXPORT_FOLDER = "engine-cache"
# Spark's default of 200 shuffle partitions is made for a cluster; a few suit one machine's tables.
_LOCAL_SHUFFLE_PARTITIONS = "8"

_REQUIREMENTS = {"polars": "requirements-engines.txt", "spark": "requirements-spark.txt"}


class EngineUnavailable(RuntimeError):
    """The chosen engine's packages (or Java, for Spark) are not installed."""


def resolve_engine(name: str | None = None) -> str:
    """The engine to use: ``name`` if given, else ``$CX_ENGINE``, else ``duckdb``.

    >>> resolve_engine("Polars")
    'polars'
    >>> resolve_engine("sqlite")
    Traceback (most recent call last):
    ...
    cxdata.i18n.WordedError: unknown engine 'sqlite': choose one of duckdb, polars, spark
    """
    chosen = name or os.environ.get(ENGINE_VARIABLE) or DEFAULT_ENGINE
    engine = chosen.strip().lower()
    if engine not in ENGINES:
        raise WordedError("engine_unknown" if name else "engine_unknown_variable", value=repr(chosen),
                          variable=ENGINE_VARIABLE, engines=", ".join(ENGINES))
    return engine


def dashboard_engine_note() -> str | None:
    """The engine ``$CX_ENGINE`` names when it is not DuckDB, else None.

    The dashboard always reads DuckDB (its rollups answer a filter change in milliseconds; the
    other engines are for the command line and for data too large for one machine), so it
    ignores the setting and says so rather than refusing to start.
    """
    configured = (os.environ.get(ENGINE_VARIABLE) or DEFAULT_ENGINE).strip()
    return None if configured.lower() == DEFAULT_ENGINE else configured


def open_engine(name: str | None, db_path: str | os.PathLike):
    """An Ibis backend on the database file at ``db_path`` for engine ``name`` (see ``resolve_engine``).

    ValueError for an unknown engine, FileNotFoundError for a missing file, EngineUnavailable
    when the engine's packages are not installed.
    """
    engine = resolve_engine(name)
    path = Path(db_path)
    if not path.exists():
        raise FileNotFoundError(f"database not found: {path} (create it with: python -m cxdata init)")
    if engine == "duckdb":
        from cxdata.engine.query import open_backend

        return open_backend(path)
    if engine == "polars":
        return _open_polars(path)
    return _open_spark(path)


def read_backend_meta(db) -> dict[str, str]:
    """All ``meta`` settings of the data behind an Ibis backend, on any engine.

    On DuckDB through ``db.read_meta`` (read once per snapshot cursor, for speed), elsewhere as
    an Ibis table read.
    """
    if is_duckdb(db):
        return read_meta(db.con)
    rows = db.table("meta").execute()
    return dict(zip(rows["key"], rows["value"]))


# ---------------------------------------------------------------- the Parquet export


def export_tables(db_path: Path) -> dict[str, Path]:
    """Table name -> its Parquet file: the database's tables (``schema.TABLES``, not the rollups)
    exported once per data (and settings) version into ``engine-cache/<file name>/<version>/`` beside it.

    A new export is written in a folder of its own and renamed into place, so a reader never sees
    half of one; exports of older versions of the same file are removed.
    """
    con = open_snapshot(db_path)
    try:
        meta = read_meta(con)
        version = meta.get("data_version") or _file_version(db_path)
        if meta.get("settings_version"):  # meta is exported too: a settings change (the as-of date) is a new export
            version = f"{version}.{meta['settings_version']}"
        base = db_path.parent / EXPORT_FOLDER / db_path.name
        target = base / version
        if not target.exists():
            staging = base / f".{version}-{uuid.uuid4().hex[:8]}"
            staging.mkdir(parents=True)
            for name in TABLES:
                con.table(name).write_parquet(str(staging / f"{name}.parquet"))
            try:
                staging.rename(target)
            except OSError:  # another process exported the same version first
                shutil.rmtree(staging, ignore_errors=True)
    finally:
        con.close()
    for old in base.iterdir():
        if old.name != target.name and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return {name: target / f"{name}.parquet" for name in TABLES}


def _file_version(db_path: Path) -> str:
    """A stand-in version for a file without ``meta.data_version``: its size and modification time."""
    stat = db_path.stat()
    return f"file-{stat.st_size}-{stat.st_mtime_ns}"


# ---------------------------------------------------------------- polars and Spark


def _require(engine: str, module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise EngineUnavailable(
            f"the {engine} engine needs {module}: pip install -r {_REQUIREMENTS[engine]}"
        ) from None


def _open_polars(db_path: Path):
    polars = _require("polars", "polars")
    import ibis

    files = export_tables(db_path)
    return ibis.polars.connect(tables={name: polars.scan_parquet(path) for name, path in files.items()})


def _open_spark(db_path: Path):
    _require("spark", "pyspark")
    import ibis
    from pyspark.sql import SparkSession

    files = export_tables(db_path)
    remote = os.environ.get(SPARK_REMOTE_VARIABLE)
    if remote:
        session = SparkSession.builder.remote(remote).getOrCreate()
    else:
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            raise EngineUnavailable("the spark engine needs Java 17 (Debian: apt-get install openjdk-17-jre-headless)")
        session = (
            SparkSession.builder.master("local[*]")
            .appName("cxdata")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.log.level", "ERROR")
            .config("spark.sql.shuffle.partitions", _LOCAL_SHUFFLE_PARTITIONS)
            .getOrCreate()
        )
    _register_spark_views(session, files, remote=bool(remote))
    return ibis.pyspark.connect(session)


# Spark session -> the export its table views show (the session is kept so its id stays its own).
_spark_views: dict[int, tuple[object, Path]] = {}


def _register_spark_views(session, files: dict[str, Path], *, remote: bool) -> None:
    """Name the exported tables in ``session``, once per session and export.

    Over Spark Connect the tables travel to the server and stay there until the session is
    released: so they are sent once per session, and the session is released when the process ends.
    """
    folder = next(iter(files.values())).parent
    known = _spark_views.get(id(session))
    if known is not None and known[0] is session and known[1] == folder:
        return
    if remote:
        import pyarrow.parquet

        if known is None:
            atexit.register(session.stop)
        for name, path in files.items():
            # Checkpointed on the server: otherwise every query plan would carry the rows again.
            table = session.createDataFrame(pyarrow.parquet.read_table(path)).localCheckpoint()
            table.createOrReplaceTempView(name)
    else:
        for name, path in files.items():
            session.read.parquet(str(path)).createOrReplaceTempView(name)
    _spark_views[id(session)] = (session, folder)


register_text({
    "engine_unknown": {"en": "unknown engine {value}: choose one of {engines}",
                       "ru": "неизвестный движок {value}: выберите один из {engines}"},
    "engine_unknown_variable": {"en": "unknown engine {value} (from ${variable}): choose one of {engines}",
                                "ru": "неизвестный движок {value} (из ${variable}): выберите один из {engines}"},
})
