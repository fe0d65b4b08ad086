"""Full-text search with the database's own engine, never a LIKE scan.

PostgreSQL: a GIN index on a `to_tsvector('simple', ...)` expression per searched table,
queried through the very same `SearchVector` expression so the planner can use it. The
'simple' configuration neither stems nor drops stop words, so Bengali words and people's
names match as they are written.

SQLite: an FTS5 table per searched table. It is "contentless" (it keeps only the index;
rows are read from the table itself) and is kept in sync by triggers, so rows written with
bulk_create or raw SQL, by any app, are indexed too. Its tokenizer counts combining marks
(M*) as parts of words: without them Bengali vowel signs would cut words into pieces that
match wrongly. A source with a `scope` (communications: their client) also indexes that
key as a token of its own column, so one client's timeline is searched without listing
the matches of every client.

SQLite drops a table's triggers when a migration rebuilds that table (its ALTER TABLE is
limited, so Django copies the table), so `ensure()` runs after every `migrate` and
restores whatever is missing, re-indexing the tables concerned. To change what is
indexed, edit SOURCES and add a migration that runs `drop()` then `ensure()`.
"""

import time
import unicodedata
from dataclasses import dataclass

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.models import Model, QuerySet, Value
from django.db.models.expressions import RawSQL

CONFIG = "simple"
SQLITE_TOKENIZER = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
MAX_TERMS = 8
MAX_TERM_LENGTH = 100
MIN_PREFIX = 2


@dataclass(frozen=True)
class Source:
    """A model whose text fields are searched."""

    model: str
    fields: tuple[str, ...]
    index_name: str  # of the GIN index on PostgreSQL
    scope: str = ""  # a foreign key searches can be limited to, on SQLite


SOURCES = (
    Source(
        "timeline.Communication",
        ("subject", "content", "outcome", "next_steps"),
        "communication_fts_gin",
        scope="client",
    ),
    Source("emails.Email", ("subject", "body_text"), "email_fts_gin"),
    # search_text: name, industry, people, e-mail addresses and phone digits (clients.services).
    Source("clients.Client", ("search_text",), "client_fts_gin"),
    Source("clients.ContactPerson", ("search_text",), "contact_fts_gin"),
)
_BY_MODEL = {source.model: source for source in SOURCES}


# ---- Queries ---------------------------------------------------------------------------


def terms(text: str) -> list[str]:
    """The words of a search box, each holding at least one letter or digit.

    Each database tokenizes every word itself (an e-mail address or a hyphenated word may
    be several tokens), so words are only split on white space here.
    """
    words = []
    for word in text.split():
        word = "".join(ch for ch in word if unicodedata.category(ch)[0] != "C")
        if any(unicodedata.category(ch)[0] in "LN" for ch in word):
            words.append(word[:MAX_TERM_LENGTH])
    return words[:MAX_TERMS]


def _prefix(words: list[str]) -> bool:
    """Whether the last word is matched as a prefix ("Rahm" finds Rahman): from 2 letters."""
    return len(words[-1]) >= MIN_PREFIX


def _tsquery(words: list[str]) -> str:
    """to_tsquery text: every word required, the last one maybe as a prefix."""
    quoted = ["'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in words]
    if _prefix(words):
        quoted[-1] += ":*"
    return " & ".join(quoted)


def _fts5_query(words: list[str], source: Source, scope: int | None = None) -> str:
    """FTS5 MATCH text: every word a quoted phrase, the last one maybe as a prefix.

    The words are looked for in the text columns only, never in the scope column.
    """
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if _prefix(words):
        quoted[-1] += "*"
    query = " AND ".join(quoted)
    if source.scope:
        query = "{" + " ".join(source.fields) + "} : (" + query + ")"
    if scope is not None:
        query = f'scope : "{_scope_token(scope)}" AND {query}'
    return query


def _scope_token(key: int) -> str:
    return f"s{int(key)}"


def _is_postgresql(queryset: QuerySet) -> bool:
    return connections[queryset.db].vendor == "postgresql"


def matching(queryset: QuerySet, text: str, *, scope: int | None = None) -> QuerySet:
    """Rows of `queryset` whose indexed text contains every word of `text`.

    `scope` (the source's scope key, e.g. a client id, which `queryset` must filter on
    too) narrows SQLite's index lookup to that key's rows. An empty search (no word with a
    letter or digit) matches nothing.
    """
    words = terms(text)
    if not words:
        return queryset.none()
    model = queryset.model
    source = _BY_MODEL[model._meta.label]
    if _is_postgresql(queryset):
        vector = SearchVector(*source.fields, config=CONFIG)
        if scope is not None and _is_common(queryset, source, words):
            # In one client's entries, reading them is cheaper than the GIN index's list of
            # a common word (a third of the table); an expression the index does not have
            # (the same words, joined with an empty vector) steers the planner there.
            vector = vector + SearchVector(Value(""), config=CONFIG)
        query = SearchQuery(_tsquery(words), search_type="raw", config=CONFIG)
        return queryset.alias(fts_document=vector).filter(fts_document=query)
    table = _fts_table(model)
    match = _fts5_query(words, source, scope)
    ids = RawSQL(f'SELECT rowid FROM "{table}" WHERE "{table}" MATCH %s', (match,))
    return queryset.filter(pk__in=ids)


def top_matching(
    queryset: QuerySet, text: str, *, order: tuple[str, ...], window: slice
) -> list[Model]:
    """The `window` of `queryset`'s rows matching `text`, ordered by `order`.

    Listing every match and sorting would cost a common word (found in half of a million
    rows) far more than a rare one, so each database gets a plan that fits the word.
    """
    words = terms(text)
    if not words:
        return []
    if _is_postgresql(queryset):
        return _postgresql_top(queryset, words, order, window)
    if order == ("-pk",):
        return _sqlite_newest(queryset, words, window)
    return list(matching(queryset, text).order_by(*order)[window])


def _sqlite_newest(queryset: QuerySet, words: list[str], window: slice) -> list[Model]:
    """Read the FTS index newest first (it stops early), a few times more ids than the
    window needs; `queryset` (permissions ...) filters those, and only when it filtered
    out too many is a longer list read."""
    source = _BY_MODEL[queryset.model._meta.label]
    table = _fts_table(queryset.model)
    sql = f'SELECT rowid FROM "{table}" WHERE "{table}" MATCH %s ORDER BY rowid DESC LIMIT %s'
    wanted = window.stop - window.start
    limit = max(2 * window.stop, 50)
    while True:
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(sql, (_fts5_query(words, source), limit))
            ids = [row[0] for row in cursor.fetchall()]
        rows = list(queryset.filter(pk__in=ids).order_by("-pk")[window])
        if len(rows) == wanted or len(ids) < limit:
            return rows
        limit *= 4


# PostgreSQL's planner guesses how many rows a word matches from the statistics ANALYZE
# keeps on the index expression, but for words outside its "most common" list (and for
# every prefix) the guess can be a hundred times too high: it then walks the ordering
# index re-computing to_tsvector() row after row, for seconds, to find a rare word.
# So the plan is chosen here, from the same statistics: a common match walks the ordering
# index and stops after a window (cheap: matches are dense), anything rarer reads the GIN
# index (cheap: its lists are short).
COMMON_SHARE = 0.005
STATS_TTL_SECONDS = 300
_stats_cache: dict[tuple[str, str], tuple[float, dict[str, float]]] = {}


def _common_lexemes(queryset: QuerySet, index_name: str) -> dict[str, float]:
    """{lexeme: share of rows} of the index's most common elements (cached a while)."""
    key = (queryset.db, index_name)
    cached = _stats_cache.get(key)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE schemaname = current_schema() AND tablename = %s",
            [index_name],
        )
        row = cursor.fetchone()
    lexemes = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
    _stats_cache[key] = (time.monotonic() + STATS_TTL_SECONDS, lexemes)
    return lexemes


def _estimated_share(lexemes: dict[str, float], words: list[str]) -> float:
    """Share of rows holding every word (the last maybe as a prefix), 0 if any is rare."""
    share = 1.0
    for index, word in enumerate(words):
        word = word.lower()
        if index == len(words) - 1 and _prefix(words):
            share *= min(1.0, sum(f for lexeme, f in lexemes.items() if lexeme.startswith(word)))
        else:
            share *= lexemes.get(word, 0.0)
    return share


def _is_common(queryset: QuerySet, source: Source, words: list[str]) -> bool:
    return _estimated_share(_common_lexemes(queryset, source.index_name), words) >= COMMON_SHARE


def _postgresql_top(
    queryset: QuerySet, words: list[str], order: tuple[str, ...], window: slice
) -> list[Model]:
    source = _BY_MODEL[queryset.model._meta.label]
    if _is_common(queryset, source, words):
        plan = {"enable_bitmapscan": "off", "enable_seqscan": "off"}
    else:
        # A few rows: parallel workers would only add their start-up time.
        plan = {"enable_indexscan": "off", "enable_seqscan": "off"}
        plan["max_parallel_workers_per_gather"] = "0"
    matches = matching(queryset, " ".join(words)).order_by(*order)[window]
    with transaction.atomic(using=queryset.db), connections[queryset.db].cursor() as cursor:
        cursor.execute("; ".join(f"SET LOCAL {name} = {value}" for name, value in plan.items()))
        rows = list(matches)
        cursor.execute("; ".join(f"SET LOCAL {name} TO DEFAULT" for name in plan))
    return rows


def _fts_table(model: type[Model]) -> str:
    return f"{model._meta.db_table}_fts"


# ---- Schema ------------------------------------------------------------------------------


def _gin_index(source: Source) -> GinIndex:
    return GinIndex(SearchVector(*source.fields, config=CONFIG), name=source.index_name)


def _existing(connection: BaseDatabaseWrapper) -> set[str]:
    """Names of the indexes (PostgreSQL) or tables and triggers (SQLite) in the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        return {row[0] for row in cursor.fetchall()}


def _columns(model: type[Model], source: Source) -> list[str]:
    """The table's columns that are indexed: the text, then the scope key if any."""
    names = [*source.fields, *([source.scope] if source.scope else [])]
    return [f'"{model._meta.get_field(name).column}"' for name in names]


def _values(model: type[Model], source: Source, row: str) -> str:
    """What is indexed of a row: `row` is 'new.', 'old.' (in a trigger) or '' (a SELECT).

    The scope key becomes a token such as "s42" (see _scope_token).
    """
    values = [f"{row}{column}" for column in _columns(model, source)]
    if source.scope:
        values[-1] = f"'s' || {values[-1]}"
    return ", ".join(values)


def _sqlite_statements(model: type[Model], source: Source, existing: set[str]) -> list[str]:
    """What creates the FTS5 table and its triggers, for the parts not in `existing`, and
    then fills the index from the table."""
    table, fts = model._meta.db_table, _fts_table(model)
    columns = _columns(model, source)
    names = ", ".join(columns[: len(source.fields)] + (["scope"] if source.scope else []))
    add = (
        f'INSERT INTO "{fts}"(rowid, {names}) VALUES (new."id", {_values(model, source, "new.")});'
    )
    remove = (
        f'INSERT INTO "{fts}"("{fts}", rowid, {names}) '
        f"VALUES ('delete', old.\"id\", {_values(model, source, 'old.')});"
    )
    wanted = {
        fts: f'CREATE VIRTUAL TABLE "{fts}" USING fts5({names}, content="", columnsize=0, '
        f'prefix="2 3", tokenize="{SQLITE_TOKENIZER}")',
        f"{fts}_insert": f'CREATE TRIGGER "{fts}_insert" AFTER INSERT ON "{table}" BEGIN {add} END',
        f"{fts}_delete": f'CREATE TRIGGER "{fts}_delete" AFTER DELETE ON "{table}" '
        f"BEGIN {remove} END",
        f"{fts}_update": f'CREATE TRIGGER "{fts}_update" AFTER UPDATE OF {", ".join(columns)} '
        f'ON "{table}" BEGIN {remove} {add} END',
    }
    statements = [sql for name, sql in wanted.items() if name not in existing]
    if statements:
        statements += [
            f'INSERT INTO "{fts}"("{fts}") VALUES (\'delete-all\')',
            f'INSERT INTO "{fts}"(rowid, {names}) SELECT "id", {_values(model, source, "")} '
            f'FROM "{table}"',
        ]
    return statements


def ensure(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Create whatever index, FTS table or trigger is missing (idempotent)."""
    connection = schema_editor.connection
    existing = _existing(connection)
    for source in SOURCES:
        model = apps.get_model(source.model)
        if connection.vendor == "postgresql":
            if source.index_name not in existing:
                schema_editor.add_index(model, _gin_index(source))
        elif connection.vendor == "sqlite":
            for statement in _sqlite_statements(model, source, existing):
                schema_editor.execute(statement, params=None)


def drop(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Remove the indexes, FTS tables and triggers."""
    connection = schema_editor.connection
    for source in SOURCES:
        model = apps.get_model(source.model)
        if connection.vendor == "postgresql":
            schema_editor.execute(f'DROP INDEX IF EXISTS "{source.index_name}"')
        elif connection.vendor == "sqlite":
            fts = _fts_table(model)
            for suffix in ("insert", "delete", "update"):
                schema_editor.execute(f'DROP TRIGGER IF EXISTS "{fts}_{suffix}"')
            schema_editor.execute(f'DROP TABLE IF EXISTS "{fts}"')


def repair_after_migrate(*, using: str, apps: Apps = global_apps, **_kwargs: object) -> None:
    """post_migrate: on SQLite, put back the triggers a table rebuild dropped.

    Only FTS tables that exist are repaired, so this never undoes unapplying the migration
    that created them.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    existing = _existing(connection)
    with connection.cursor() as cursor:
        for source in SOURCES:
            model = apps.get_model(source.model)
            if _fts_table(model) in existing:
                for statement in _sqlite_statements(model, source, existing):
                    cursor.execute(statement)
