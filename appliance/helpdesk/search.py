"""One search for the CLI, the panel and the API: what a person typed, as a full-text query
on the index of :mod:`appliance.helpdesk.searchindex`.

Every word must occur as the prefix of a word; a word with punctuation (an address, a
Message-ID) must occur as that sequence of words.  On SQLite that is an FTS5 expression
walked newest row id first (``ORDER BY rowid DESC LIMIT``, which FTS5 does without
collecting every match); on PostgreSQL the same expression becomes a ``tsquery`` (prefixes
``:*``, sequences ``<->``, a column as its weight) answered from the GIN index."""
from __future__ import annotations

import re

from appliance.helpdesk.dialect import is_sqlite
from appliance.helpdesk.models import db
from appliance.helpdesk.searchindex import PG_WEIGHTS

# each searched table's index table
INDEX = {"item": "item_fts", "incomingmail": "incoming_fts", "outgoingmail": "outgoing_fts"}


def match_expression(query: str, column: str | None = None) -> str | None:
    """An FTS5 expression for what a person typed: every word must occur (as a prefix);
    a word with punctuation (an address, a Message-ID) must occur as that sequence.
    None when the query has nothing to search for, or is an item's ``#N`` (which names
    that item only, not every text with a word starting ``N``)."""
    if exact_item(query) is not None:
        return None
    phrases = []
    for word in query.split():
        tokens = re.findall(r"\w+", word)
        if tokens:
            phrases.append("(" + " + ".join(f'"{t}"' for t in tokens) + "*)")
    if not phrases:
        return None
    expr = " AND ".join(phrases)
    return f"{{{column}}} : ({expr})" if column else expr


def item_number(query: str) -> int | None:
    """``#12`` or ``12`` names item 12."""
    text = query.strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) < 10 else None


def exact_item(query: str) -> int | None:
    """``#12``, as the subject tag ``[#12]`` writes it, names item 12 and nothing else
    (a bare ``12`` also finds texts with a word starting 12)."""
    match = re.fullmatch(r"#(\d{1,9})", query.strip())
    return int(match.group(1)) if match else None


_SYNTAX = re.compile(r'\{(\w+)\} : \(|\(((?:"\w+"(?: \+ )?)+)\*\)|\(|\)')


def phrases(expression: str) -> list[tuple[str | None, list[str]]]:
    """The (column or None, tokens) of each phrase of a :func:`match_expression` result
    (or several joined with AND)."""
    scope: list[str | None] = [None]
    found = []
    for m in _SYNTAX.finditer(expression):
        if m.group(1):
            scope.append(m.group(1))
        elif m.group(2):
            found.append((scope[-1], re.findall(r'"(\w+)"', m.group(2))))
        elif m.group(0) == "(":
            scope.append(scope[-1])
        elif len(scope) > 1:
            scope.pop()
    return found


def tsquery(table: str, expression: str) -> str:
    """The PostgreSQL ``tsquery`` (for ``to_tsquery('simple', ...)``) of an FTS5
    expression: each phrase's words in sequence, the last one a prefix, within the
    column's weight when the phrase names one.  Words split where FTS5 splits them (an
    underscore too)."""
    parts = []
    for column, tokens in phrases(expression):
        words = [w for t in tokens for w in t.split("_") if w]
        if not words:
            continue
        weight = PG_WEIGHTS[table][column] if column else ""
        terms = []
        for n, word in enumerate(words):
            label = ("*" if n == len(words) - 1 else "") + weight
            terms.append(f"'{word}'" + (f":{label}" if label else ""))
        parts.append("(" + " <-> ".join(terms) + ")")
    return " & ".join(parts)


def search_ids(table: str, expression: str, where: list[tuple[str, object]], limit: int,
               offset: int, join: str = "") -> list[int]:
    """The ids of ``table``'s rows that match ``expression`` and the ``where`` conditions
    (SQL with ``?`` on the base table ``t``), newest first."""
    index = INDEX[table]
    conditions = "".join(f" AND {sql}" for sql, _ in where)
    params = [value for _, value in where]
    if is_sqlite(db.obj):
        cursor = db.execute_sql(
            f"SELECT f.rowid FROM {index} AS f JOIN {table} AS t ON t.id = f.rowid {join}"
            f" WHERE {index} MATCH ?{conditions} ORDER BY f.rowid DESC LIMIT ? OFFSET ?",
            [expression, *params, limit, offset])
    else:
        query = tsquery(table, expression)
        if not query:
            return []
        cursor = db.execute_sql(
            f"SELECT f.id FROM {index} AS f JOIN {table} AS t ON t.id = f.id {join}"
            f" WHERE f.doc @@ to_tsquery('simple', %s){conditions.replace('?', '%s')}"
            f" ORDER BY f.id DESC LIMIT %s OFFSET %s", [query, *params, limit, offset])
    return [row[0] for row in cursor]
