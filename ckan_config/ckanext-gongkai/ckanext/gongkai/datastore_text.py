"""gongkai_datastore_text: DataStore's ``q`` also finds Chinese substrings (``q=香格里拉`` → 香格里拉市民政局).

PostgreSQL's text search splits words at spaces and punctuation, so a Chinese cell is one "word" and ``q`` finds
only the whole cell. This plugin widens DataStore's own ``q`` clause to ``_full_text @@ query OR <text columns>
ILIKE '%q%'``, and gives each table a pg_trgm GIN index on exactly that expression (built by a chained
``datastore_create``), so the substring search is an index scan for queries of three or more characters. Without
the pg_trgm extension in the DataStore database the search still works, by a sequential scan.
"""

from __future__ import annotations

import logging
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.datastore.interfaces import IDatastore

log = logging.getLogger(__name__)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def text_expression(columns: list[str]) -> str:
    """The searched text of a row: its text columns joined (an IMMUTABLE expression, so it can be indexed)."""
    return "(" + " || ' ' || ".join(f"coalesce({_quote(c)}, '')" for c in columns) + ")"


def text_columns(fields_types: dict[str, str]) -> list[str]:
    return [f for f, t in fields_types.items() if t == "text" and not f.startswith("_")]


def like_pattern(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def create_index(resource_id: str) -> bool:
    """A trigram index on the table's searched text; False when pg_trgm is not installed."""
    from ckanext.datastore.backend.postgres import get_write_engine

    raw = get_write_engine().raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            if cur.fetchone() is None:
                return False
            cur.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s "
                        "ORDER BY ordinal_position", (resource_id,))
            columns = text_columns(dict(cur.fetchall()))  # the column order DataStore's search sees
            if not columns:
                return False
            cur.execute(f"CREATE INDEX IF NOT EXISTS {_quote(resource_id[:40] + '_gongkai_trgm')} ON "
                        f"{_quote(resource_id)} USING gin ({text_expression(columns)} gin_trgm_ops)")
        raw.commit()
        return True
    finally:
        raw.close()


@tk.chained_action
def datastore_create(original: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    result = original(context, data_dict)
    try:
        create_index(result["resource_id"])
    except Exception as e:  # the table is there and searchable without the index: say so, do not fail the call
        log.warning("gongkai_datastore_text: no trigram index on %s: %s", result.get("resource_id"), e)
    return result


class DatastoreTextPlugin(p.SingletonPlugin):
    p.implements(IDatastore, inherit=True)
    p.implements(p.IActions)

    def get_actions(self) -> dict[str, Any]:
        return {"datastore_create": datastore_create}

    def datastore_search(self, context: Any, data_dict: dict[str, Any], fields_types: dict[str, str],
                         query_dict: dict[str, Any]) -> dict[str, Any]:
        q = data_dict.get("q")
        columns = text_columns(fields_types)
        if not isinstance(q, str) or not q.strip() or not columns:
            return query_dict
        word = '_full_text @@ "query"'
        where = query_dict.get("where", [])
        for i, clause in enumerate(where):
            if clause and clause[0] == word:
                where[i] = (f"{word} OR {text_expression(columns)} ILIKE :gongkai_q",
                            {"gongkai_q": like_pattern(q.strip())})
                break
        return query_dict
