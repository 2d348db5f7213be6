"""gongkai_pages: the dataset page as people read it — the current version's files first, the version history,
the schema as a data dictionary, a citation line — and Chinese labels where CKAN's own read English.

Everything comes from what ``gongkai publish`` puts in CKAN: resources named ``v3 data.csv`` with ``version``
(and ``release_rows`` / ``release_date``), the manifest's ``sha256`` on each ``manifest.json`` resource, and the
Table Schema inside the uploaded ``datapackage.json`` of the current version.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import ckan.lib.uploader as uploader
import ckan.plugins as p
import ckan.plugins.toolkit as tk

log = logging.getLogger(__name__)
VERSION = re.compile(r"^v(\d+)$")
TYPES = {"string": "文本", "integer": "整数", "number": "数值", "date": "日期", "datetime": "日期时间",
         "boolean": "是/否", "year": "年份", "any": "任意"}
STATUS = {"valid": "通过校验"}
_schemas: dict[str, list[dict[str, Any]]] = {}  # by the datapackage.json resource's sha256


def versions(pkg: dict[str, Any]) -> list[dict[str, Any]]:
    """The release versions of a dataset, current first, each with its files in page order."""
    current = pkg.get("current_version")
    by_version: dict[str, dict[str, Any]] = {}
    for r in pkg.get("resources", []):
        v = r.get("version")
        if not v or not VERSION.match(v):
            continue
        entry = by_version.setdefault(v, {"version": v, "current": v == current, "files": [], "rows": None,
                                          "date": None, "manifest_sha256": None})
        entry["files"].append(r)
        entry["rows"] = entry["rows"] or r.get("release_rows")
        entry["date"] = entry["date"] or r.get("release_date") or (r.get("created") or "")[:10]
        if str(r.get("name", "")).endswith(" manifest.json"):
            entry["manifest_sha256"] = r.get("sha256")
    if current in by_version:
        by_version[current]["rows"] = pkg.get("row_count") or by_version[current]["rows"]
        by_version[current]["manifest_sha256"] = pkg.get("sha256") or by_version[current]["manifest_sha256"]
    published = [e for v, e in by_version.items() if not current or int(v[1:]) <= int(str(current)[1:] or 0)]
    return sorted(published, key=lambda e: (not e["current"], -int(e["version"][1:])))


def other_resources(pkg: dict[str, Any]) -> list[dict[str, Any]]:
    """Files that belong to no version (a fund-flow page, a report)."""
    return [r for r in pkg.get("resources", []) if not VERSION.match(str(r.get("version") or ""))]


def _constraints(f: dict[str, Any]) -> str:
    c = f.get("constraints") or {}
    out = []
    if c.get("required"):
        out.append("必填")
    if c.get("unique"):
        out.append("唯一")
    if "enum" in c:
        out.append("取值：" + "、".join(str(v) for v in c["enum"]))
    if "minimum" in c:
        out.append(f"≥ {c['minimum']}")
    if "maximum" in c:
        out.append(f"≤ {c['maximum']}")
    if "minLength" in c or "maxLength" in c:
        out.append(f"长度 {c.get('minLength', 0)}–{c.get('maxLength', '')}".rstrip("–"))
    if "pattern" in c:
        out.append(f"格式 {c['pattern']}")
    return "；".join(out)


def dictionary(pkg: dict[str, Any]) -> list[dict[str, Any]]:
    """The current version's Table Schema as rows of a data dictionary (read from its datapackage.json)."""
    current = pkg.get("current_version")
    res = next((r for r in pkg.get("resources", []) if r.get("name") == f"{current} datapackage.json"), None)
    if res is None or res.get("url_type") != "upload":
        return []
    key = str(res.get("sha256") or res["id"])
    if key not in _schemas:
        try:
            path = uploader.get_resource_uploader(res).get_path(res["id"])
            with open(path, encoding="utf-8") as f:
                package = json.load(f)
            schema = next(r for r in package["resources"] if r.get("path") == "data.csv")["schema"]
        except (OSError, ValueError, KeyError, StopIteration) as e:
            log.warning("gongkai_pages: no schema in %s: %s", res["id"], e)
            return []
        key_fields = schema.get("primaryKey") or []
        _schemas[key] = [{"name": f["name"], "title": f.get("title", ""), "type": TYPES.get(f.get("type", "string"),
                          f.get("type", "")), "unit": f.get("unit", ""), "description": f.get("description", ""),
                          "constraints": "；".join(x for x in ["主键" if f["name"] in key_fields else "",
                                                              _constraints(f)] if x)}
                         for f in schema.get("fields", [])]
    return _schemas[key]


def citation(pkg: dict[str, Any]) -> str:
    """责任单位. 标题 (版本). 发布日期. URL. 清单 SHA-256."""
    org = (pkg.get("organization") or {}).get("title") or pkg.get("publisher") or ""
    url = tk.url_for("dataset.read", id=pkg["name"], _external=True)
    parts = [org, f"{pkg.get('title', '')}（{pkg.get('current_version', '')}）", pkg.get("date_published") or "",
             url, f"清单 SHA-256：{pkg['sha256']}" if pkg.get("sha256") else ""]
    return "．".join(x for x in parts if x)


def status(value: str | None) -> str:
    """``valid (2 warnings)`` as published before the labels were Chinese → 通过校验（2 个警告）."""
    v = str(value or "")
    m = re.match(r"^valid \((\d+) warnings?\)$", v)
    return f"通过校验（{m.group(1)} 个警告）" if m else STATUS.get(v, v)


class PagesPlugin(p.SingletonPlugin):
    p.implements(p.IConfigurer)
    p.implements(p.ITemplateHelpers)

    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")

    def get_helpers(self) -> dict[str, Any]:
        return {"gongkai_versions": versions, "gongkai_other_resources": other_resources,
                "gongkai_dictionary": dictionary, "gongkai_citation": citation, "gongkai_status": status}
