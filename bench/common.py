"""What the benchmarks share: a throw-away database, Django set up on it, timing, the machine."""

import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


# ---- The database ---------------------------------------------------------------------


def _maintenance_url(url: str) -> tuple[str, str]:
    """('postgres://u@h/forgecrm_bench') -> ('postgres://u@h/postgres', 'forgecrm_bench')."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name or name == "test":
        sys.exit(f"Refusing to drop and re-create {name!r}: the name must contain 'bench'.")
    return urlunsplit(parts._replace(path="/postgres")), name


def _postgres(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as db:
        db.execute(statement)


@contextmanager
def bench_database(url: str | None, keep: bool) -> Iterator[tuple[str, Path]]:
    """A fresh, empty database and var directory for the run, removed afterwards unless `keep`.

    Yields the database URL (a SQLite file in the var directory unless `url` is given)
    and the var directory, where the settings also put Huey's queue and static files.
    """
    var_dir = Path(tempfile.mkdtemp(prefix="forgecrm-bench-"))
    (var_dir / "static").mkdir()
    name = None
    if url is None:
        url = f"sqlite:///{var_dir / 'forgecrm.sqlite3'}"
    else:
        maintenance, name = _maintenance_url(url)
        _postgres(maintenance, f'DROP DATABASE IF EXISTS "{name}"')
        _postgres(maintenance, f'CREATE DATABASE "{name}"')
    try:
        yield url, var_dir
    finally:
        from django.db import connections

        connections.close_all()
        if keep:
            print(f"Kept {url} and {var_dir}")
        else:
            if name is not None:
                _postgres(maintenance, f'DROP DATABASE "{name}"')
            shutil.rmtree(var_dir)


def setup_django(database_url: str, var_dir: Path) -> None:
    """Settings as `make run` has them, pointed at the bench database and var directory.

    DEBUG=true only so the settings load without SECRET_KEY and HTTPS redirects; it is
    switched off once loaded so every query is not also logged (on SQLite that logging
    even runs an extra query), which production does not pay for.
    """
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "forgecrm.settings"
    os.environ["DEBUG"] = "true"
    os.environ["FORGECRM_VAR_DIR"] = str(var_dir)
    sys.path.insert(0, str(ROOT / "src"))
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False


# ---- Measuring --------------------------------------------------------------------------


def timed(label: str, action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    print(f"{label}: {seconds:.1f} s")
    return seconds


def machine_info() -> str:
    from django import get_version
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}"
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs (load average {load}), {platform.machine()}, "
        f"{platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, Django {get_version()}; {database}"
    )
