"""The hot statements of intake and the message center, their SQL built once.

Peewee builds a query's SQL by walking its node tree in Python on every call; for the
INSERTs and key lookups that every incoming message makes, that walk cost more CPU than
SQLite executing them (issue 15's profile: about half of the worker).  Here the SQL of
such a statement is written once per database, model and set of columns, and each call
only converts its values with the fields' own ``db_value`` / ``python_value``: the rows
are the ones ``Model.create``, ``Model.get_or_none`` and ``Model.save(only=...)`` would
write and read (``tests/test_statements.py`` compares them on SQLite and PostgreSQL).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar

from peewee import Field, Model, PostgresqlDatabase

from appliance.helpdesk.models import db

M = TypeVar("M", bound=Model)
_sql: dict[tuple, str] = {}
_owner: list[object] = [None]   # the database the cached SQL was written for


def _cache() -> dict[tuple, str]:
    """The SQL cache of the database the models are bound to now (tests reopen others)."""
    if _owner[0] is not db.obj:
        _sql.clear()
        _owner[0] = db.obj
    return _sql


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _param() -> str:
    return "%s" if isinstance(db.obj, PostgresqlDatabase) else "?"


def insert(model: type[M], ignore: bool = False, **values: Any) -> M:
    """``model.create(**values)``: the defaults peewee would fill in are filled in, the
    new row's primary key is set on the returned instance.  ``ignore``: a row that would
    break a unique constraint is not written (``on_conflict_ignore``); the instance then
    has no primary key."""
    instance = model(**values)
    data = instance.__data__
    meta = model._meta
    pk = meta.primary_key
    fields = [f for f in meta.sorted_fields
              if f.name in data and not (f is pk and data[f.name] is None)]
    key = ("insert", model, tuple(f.name for f in fields), ignore)
    cache = _cache()
    sql = cache.get(key)
    postgres = isinstance(db.obj, PostgresqlDatabase)
    if sql is None:
        p = _param()
        sql = (f"INSERT{' OR IGNORE' if ignore and not postgres else ''} "
               f"INTO {_quote(meta.table_name)} "
               f"({', '.join(_quote(f.column_name) for f in fields)}) "
               f"VALUES ({', '.join([p] * len(fields))})")
        if ignore and postgres:
            sql += " ON CONFLICT DO NOTHING"
        elif postgres and data.get(pk.name) is None:
            sql += f" RETURNING {_quote(pk.column_name)}"
        cache[key] = sql
    cursor = db.execute_sql(sql, [f.db_value(data[f.name]) for f in fields])
    if data.get(pk.name) is None and not ignore:
        new_id = cursor.fetchone()[0] if postgres else cursor.lastrowid
        setattr(instance, pk.name, new_id)
    instance._dirty.clear()
    return instance


def get(model: type[M], field: Field, value: Any, lower: bool = False) -> M | None:
    """The first row whose ``field`` equals ``value`` (``lower``: ``LOWER(field)``
    equals it), as ``model.get_or_none`` returns it; None when there is none."""
    meta = model._meta
    key = ("get", model, field.name, lower)
    cache = _cache()
    sql = cache.get(key)
    if sql is None:
        column = _quote(field.column_name)
        sql = (f"SELECT {', '.join(_quote(f.column_name) for f in meta.sorted_fields)} "
               f"FROM {_quote(meta.table_name)} "
               f"WHERE {'LOWER(' + column + ')' if lower else column} = {_param()} LIMIT 1")
        cache[key] = sql
    row = db.execute_sql(sql, [field.db_value(value)]).fetchone()
    if row is None:
        return None
    instance = model(__no_default__=1, **{
        f.name: f.python_value(v) for f, v in zip(meta.sorted_fields, row)})
    instance._dirty.clear()
    return instance


def update(instance: Model, *fields: Field) -> None:
    """``instance.save(only=fields)`` for a row that exists."""
    meta = type(instance)._meta
    pk = meta.primary_key
    key = ("update", type(instance), tuple(f.name for f in fields))
    cache = _cache()
    sql = cache.get(key)
    if sql is None:
        p = _param()
        sql = (f"UPDATE {_quote(meta.table_name)} SET "
               f"{', '.join(_quote(f.column_name) + ' = ' + p for f in fields)} "
               f"WHERE {_quote(pk.column_name)} = {p}")
        cache[key] = sql
    data = instance.__data__
    db.execute_sql(sql, [f.db_value(data.get(f.name)) for f in fields]
                   + [pk.db_value(data[pk.name])])
    for f in fields:
        instance._dirty.discard(f.name)


class Statement:
    """A statement written by hand (``build(placeholder)`` returns its SQL), for the few
    queries too hot for peewee's builder that are no plain insert or lookup."""

    def __init__(self, build: Callable[[str], str]) -> None:
        self.build = build

    def run(self, params: Sequence[Any]):
        """Execute with ``params`` (already database values); returns the cursor."""
        cache = _cache()
        sql = cache.get(self)
        if sql is None:
            sql = cache[self] = self.build(_param())
        return db.execute_sql(sql, list(params))


class _Marker:
    """Where a parameter of a :class:`Query` goes in the parameters peewee built."""

    def __init__(self, index: int) -> None:
        self.index = index


class Query:
    """A peewee SELECT (joins and all) whose SQL is built once: ``build`` gets one node
    per parameter and returns the query; each call runs that SQL with its own values
    (database values: ids, strings, ``clock.iso`` times) and reads the rows back through
    the query's own cursor wrapper, joined models included."""

    def __init__(self, build: Callable[..., Any], parameters: int) -> None:
        self.build, self.parameters = build, parameters

    def rows(self, *values: Any) -> list:
        if len(values) != self.parameters:
            raise TypeError(f"{self.parameters} values expected, got {len(values)}")
        cache = _cache()
        entry = cache.get(self)
        if entry is None:
            from peewee import Value
            query = self.build(*(Value(_Marker(i), converter=False, unpack=False)
                                 for i in range(self.parameters)))
            sql, params = query.sql()
            places = [(at, p.index) for at, p in enumerate(params) if isinstance(p, _Marker)]
            entry = cache[self] = (query, sql, params, places)
        query, sql, params, places = entry
        params = list(params)
        for at, index in places:
            params[at] = values[index]
        return list(query._get_cursor_wrapper(db.execute_sql(sql, params)))
