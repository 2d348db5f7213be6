"""gongkai_search: CKAN's dataset search on PostgreSQL, for catalogs without Solr.

CKAN 2.12 has no search-backend interface, so this plugin swaps the module-level registries of
``ckan.lib.search`` in ``update_config`` (before CKAN's Solr check runs):

- indexing keeps CORE's flattening of a dataset into a search document (``PackageSearchIndex.index_package``), and
  only replaces the "Solr connection" it hands the document to, with :class:`PostgresIndex`, a table in CKAN's own
  database written in the same transaction as the dataset;
- :class:`PostgresPackageSearchQuery` answers ``package_search`` (q, fq, facets, sort, paging, permission labels),
  so CKAN's own auth, private-dataset rules and plugin hooks run unchanged.

``ckanext.gongkai.search = auto`` (default) uses PostgreSQL only when Solr at ``solr_url`` does not answer at
start-up; ``postgres`` or ``solr`` force one. Pinned to CKAN 2.12.x: it touches internals.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import ckan.lib.search as search
import ckan.lib.search.common as search_common
import ckan.lib.search.index as search_index
import ckan.lib.search.query as search_query
import ckan.model as model
import ckan.plugins as p
import sqlalchemy as sa

log = logging.getLogger(__name__)

TABLE = "gongkai_search_doc"
DDL = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    id text PRIMARY KEY, name text, site_id text, state text, labels text[], body text, doc jsonb NOT NULL)"""
TEXT_FIELDS = ("name", "title", "notes", "tags", "groups", "organization", "res_name", "res_description",
               "res_format", "title_en", "notes_en", "domain", "publisher", "legal_basis", "disclosure")
FIELD = re.compile(r"([+-]?)([A-Za-z_][A-Za-z0-9_.]*):(?!//)")  # only tried at a word's start: linear
MAX_Q, MAX_FQ = 1000, 4000
DELETE_REF = re.compile(r'(?<![\w.])(?:id|name):"([^"]+)"')
_ready = False


def _ensure_table() -> None:
    global _ready
    if not _ready:
        with model.meta.engine.begin() as c:
            c.execute(sa.text(DDL))
        _ready = True


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else ([] if v is None else [v])


class PostgresIndex:
    """Stands where pysolr's connection stood: ``add``, ``delete`` and ``commit``."""

    url = "postgresql"

    def add(self, docs: list[dict[str, Any]], commit: bool = False, **_: Any) -> None:
        _ensure_table()
        for doc in docs:
            body = " ".join(str(v) for f in TEXT_FIELDS for v in _as_list(doc.get(f) or doc.get(f"extras_{f}")))
            model.Session.execute(sa.text(
                f"INSERT INTO {TABLE} (id, name, site_id, state, labels, body, doc) "
                "VALUES (:id, :name, :site, :state, :labels, :body, CAST(:doc AS jsonb)) "
                "ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, site_id = EXCLUDED.site_id, "
                "state = EXCLUDED.state, labels = EXCLUDED.labels, body = EXCLUDED.body, doc = EXCLUDED.doc"),
                {"id": doc["id"], "name": doc.get("name"), "site": doc.get("site_id"), "state": doc.get("state"),
                 "labels": _as_list(doc.get("permission_labels")), "body": body.lower(),
                 "doc": json.dumps(doc, default=str)})

    def delete(self, q: str = "", commit: bool = False, **_: Any) -> None:
        """Solr delete queries: one dataset by id or name, or everything of a site."""
        _ensure_table()
        refs = DELETE_REF.findall(q or "")  # never inside site_id:"…" (that would purge a dataset named so)
        if refs:
            model.Session.execute(sa.text(f"DELETE FROM {TABLE} WHERE id = ANY(:r) OR name = ANY(:r)"), {"r": refs})
        else:
            model.Session.execute(sa.text(f"DELETE FROM {TABLE}"))

    def commit(self, **_: Any) -> None:
        """Documents are written in the dataset's own transaction: nothing to do."""


def _value_end(s: str, j: int) -> int:
    """Where a clause's value starting at ``j`` ends: a quoted string, a (group), a [range] or one word."""
    close = {'"': '"', "(": ")", "[": "]"}.get(s[j:j + 1])
    if close:
        k = s.find(close, j + 1)
        return len(s) if k < 0 else k + 1
    k = j
    while k < len(s) and not s[k].isspace() and s[k] not in "()":
        k += 1
    return k


def split_query(s: str) -> tuple[list[tuple[str, str, Any]], list[str]]:
    """``低保 +state:(active OR draft) http://x 9:00`` → field clauses and the free words beside them.

    One pass, each character looked at a bounded number of times: the clause regex this replaces backtracked
    quadratically on a long word (30,000 characters held the site for 13 s). A field is an ASCII name followed by
    ``:`` that does not start a URL (``http://``); ``9:00`` or ``低保:`` stay words."""
    clauses: list[tuple[str, str, Any]] = []
    words: list[str] = []
    i, n = 0, len(s)
    while i < n:
        if s[i].isspace() or s[i] in "()":
            i += 1
            continue
        m = FIELD.match(s, i)
        if m and m.end() < n and not s[m.end()].isspace():
            end = _value_end(s, m.end())
            clauses.append(_clause(m.group(1), m.group(2), s[m.end():end]))
            i = end
            continue
        k = i
        while k < n and not s[k].isspace():
            k += 1
        word = s[i:k].strip("()")
        if word and word not in ("OR", "AND", "NOT"):
            words.append(word)
        i = k
    return clauses, words


def _clause(sign: str, field: str, val: str) -> tuple[str, str, Any]:
    if val.startswith("["):
        lo, _, hi = val.strip("[]").partition(" TO ")
        return (sign, field, ("range", lo.strip(), hi.strip()))
    if val.startswith("("):
        return (sign, field, [v.strip().strip('"') for v in val.strip("()").split(" OR ") if v.strip()])
    return (sign, field, [val.strip('"')])


def parse_clauses(s: str) -> list[tuple[str, str, Any]]:
    """``+capacity:public owner_org:"x" +state:(active OR draft)`` → [(sign, field, values or range)]."""
    return split_query(s or "")[0]


def check_lengths(query: dict[str, Any]) -> None:
    """A bound on what one anonymous request may make the site parse and match."""
    fq = " ".join([query.get("fq") or "", *_as_list(query.get("fq_list"))])
    if len(query.get("q") or "") > MAX_Q:
        raise search.SearchQueryError(f"搜索词过长（{len(query['q'])} 个字符，上限 {MAX_Q}）：请缩短后重试 "
                                      f"(q longer than {MAX_Q} characters)")
    if len(fq) > MAX_FQ:
        raise search.SearchQueryError(f"筛选条件过长（{len(fq)} 个字符，上限 {MAX_FQ}）"
                                      f"(fq longer than {MAX_FQ} characters)")


def _values(doc: dict[str, Any], field: str) -> list[Any]:
    field = {"name_ngram": "name", "title_ngram": "title"}.get(field, field)
    v = doc.get(field)
    return _as_list(v if v is not None else doc.get(f"extras_{field}"))


def _matches(doc: dict[str, Any], field: str, cond: Any) -> bool:
    vals = [str(x) for x in _values(doc, field)]
    if isinstance(cond, tuple):
        lo, hi = cond[1], cond[2]
        return any((lo == "*" or v >= lo) and (hi in ("*", "NOW") or v <= hi) for v in vals)
    if field.endswith("_ngram"):
        return any(c.lower() in v.lower() for c in cond for v in vals)
    return any(c == "*" or c in vals for c in cond)


def _all_match(doc: dict[str, Any], clauses: list[tuple[str, str, Any]]) -> bool:
    return all(_matches(doc, f, c) != (sign == "-") for sign, f, c in clauses)


class PostgresPackageSearchQuery(search_query.PackageSearchQuery):
    """``package_search`` on the documents table: permission labels, state and words in SQL; the rest here."""

    def get_all_entity_ids(self, max_results: int = 1000) -> list[str]:
        _ensure_table()
        return [r[0] for r in model.Session.execute(
            sa.text(f"SELECT id FROM {TABLE} WHERE state = 'active' LIMIT :l"), {"l": max_results})]

    def get_index(self, reference: str) -> dict[str, Any]:
        _ensure_table()
        row = model.Session.execute(sa.text(f"SELECT doc FROM {TABLE} WHERE id = :r OR name = :r"),
                                    {"r": reference}).first()
        if not row:
            raise search.SearchError(f"Dataset not found in the search index: {reference}")
        return row[0]

    def run(self, query: dict[str, Any], permission_labels: list[str] | None = None, **_: Any) -> dict[str, Any]:
        unknown = set(query) - search_query.VALID_SOLR_PARAMETERS - {"fq_list"}
        if unknown:
            raise search.SearchQueryError(f"Invalid search parameters: {sorted(unknown)}")
        check_lengths(query)
        _ensure_table()
        where, params = ["TRUE"], {}
        if permission_labels is not None:
            where.append("labels && :labels")
            params["labels"] = list(permission_labels)
        q = (query.get("q") or "").strip()
        fielded, words = split_query(q) if q not in ("", "*:*", '""', "''") else ([], [])
        for i, word in enumerate(w.lower() for w in words):  # every word, anywhere: works for Chinese too
            where.append(f"body LIKE :w{i}")
            params[f"w{i}"] = "%" + word.replace("%", r"\%").replace("_", r"\_") + "%"
        clauses = parse_clauses(" ".join([query.get("fq") or "", *_as_list(query.get("fq_list"))]))
        if not any(f == "state" for _, f, _ in clauses):
            where.append("state = 'active'")
        rows = model.Session.execute(sa.text(f"SELECT doc FROM {TABLE} WHERE {' AND '.join(where)}"), params)
        docs = [r[0] for r in rows]
        docs = [d for d in docs if _all_match(d, clauses)]
        if fielded:  # autocomplete, tag pages and API users send fielded queries
            docs = [d for d in docs if (any(_matches(d, f, c) for _, f, c in fielded) if " OR " in q
                                        else _all_match(d, fielded))]
        for part in reversed([s.strip() for s in (query.get("sort") or "").split(",") if s.strip()]):
            field, _, direction = part.partition(" ")
            if field != "score":
                docs.sort(key=lambda d, f=field: str((_values(d, f) or [""])[0]).lower(),
                          reverse=direction.strip() == "desc")
        self.count = len(docs)
        self.facets = {}
        if str(query.get("facet", "true")) != "false":
            from ckan.common import config

            limit = int(query.get("facet.limit") or config.get("search.facets.limit") or 50)
            mincount = int(query.get("facet.mincount", 1))
            for f in _as_list(query.get("facet.field")):
                counts: dict[Any, int] = {}
                for d in docs:
                    for v in _values(d, f):
                        if v not in (None, ""):
                            counts[v] = counts.get(v, 0) + 1
                items = sorted(counts.items(), key=lambda kv: -kv[1])
                self.facets[f] = {k: n for k, n in (items[:limit] if limit >= 0 else items) if n >= mincount}
        start, n = int(query.get("start") or 0), int(query.get("rows", 10))
        page = docs[start:start + n]
        fl = query.get("fl") or "name"
        names = fl.replace(",", " ").split()
        if fl in ("id", "name"):
            self.results = [d.get(fl) for d in page]
        elif names == ["*"]:
            self.results = [dict(d) for d in page]
        else:
            self.results = [{k: d[k] for k in names if k in d} for d in page]
        return {"results": self.results, "count": self.count}


def install() -> None:
    search_index.make_connection = lambda *a, **k: PostgresIndex()
    search._QUERIES["package"] = PostgresPackageSearchQuery
    search.PackageSearchQuery = PostgresPackageSearchQuery  # model_dictize builds it directly
    search.check_solr_schema_version = lambda *a, **k: False
    search.is_available = lambda: True


class SearchPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.IActions)

    def get_actions(self) -> dict[str, Any]:
        from .actions import gongkai_datastore_load
        from .withdraw import gongkai_resource_withdraw

        return {"gongkai_datastore_load": gongkai_datastore_load, "gongkai_resource_withdraw": gongkai_resource_withdraw}

    def update_config(self, config: Any) -> None:
        mode = config.get("ckanext.gongkai.search", "auto")
        if mode == "postgres" or (mode == "auto" and not search_common.is_available()):
            install()
            log.info("gongkai_search: dataset search runs on PostgreSQL (no Solr)")
