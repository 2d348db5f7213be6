"""Publishing a compliance report to CKAN as a dataset of its own (``gongkai-compliance-<year>``), so the public
can check the agencies. Four resources — Markdown, HTML, JSON, CSV — are replaced in place when their content
changes; publishing the same report again makes no write."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from .ckan import Client
from .compliance import ComplianceReport

FORMATS = {"md": "Markdown", "html": "HTML", "json": "JSON", "csv": "CSV"}


def dataset_name(year: int) -> str:
    return f"gongkai-compliance-{year}"


def publish_report(report: ComplianceReport, client: Client, organization: str = "sheng-caizheng",
                   name: str | None = None) -> dict[str, Any]:
    """Create or update the report's CKAN dataset; returns its name, URL and the number of writes made."""
    if report.agency:
        from .errors import UsageError

        raise UsageError("--publish publishes the report of all agencies", "Run it without --agency.")
    name = name or dataset_name(report.year)
    before = client.writes
    wanted = {
        "title": f"政府信息公开时效统计 {report.year}",
        "title_en": f"Disclosure timeliness of agencies, {report.year}",
        "notes": "各机构、各领域主动公开数据的按时发布情况：按时、逾期发布、逾期未更新、按时率，以及逾期清单。"
                 f"截至 {report.as_of.isoformat()}。由 gongkai compliance 生成。",
        "notes_en": "Per agency and domain: releases on time, late, overdue datasets and the on-time rate, "
                    f"as of {report.as_of.isoformat()}. Made by gongkai compliance.",
        "owner_org": organization, "private": False, "license_id": "cc-by", "disclosure": "主动公开",
        "update_frequency": "daily", "date_published": report.as_of.isoformat(),
        "legal_basis": "政府信息公开条例第二十六条；国办发〔2018〕10号",
    }
    tags = [{"name": "政务公开"}, {"name": "信息公开时效"}, {"name": "compliance"}]
    pkg = client.show("package_show", id=name)
    if pkg is None:
        client.call("package_create", {"name": name, **wanted, "tags": tags})
        pkg = client.call("package_show", {"id": name})
    have = {r.get("name"): r for r in pkg.get("resources", [])}
    for ext, fmt in FORMATS.items():
        fname = f"compliance-{report.year}.{ext}"
        content = report.render(ext).encode("utf-8")
        digest = hashlib.sha256(content).hexdigest()
        r = have.get(fname)
        if r is not None and r.get("sha256") == digest:
            continue
        upload = io.BytesIO(content)
        upload.name = fname
        fields = {"name": fname, "format": fmt, "sha256": digest,
                  "description": f"政府信息公开时效统计 {report.year}（{fmt}），截至 {report.as_of.isoformat()}"}
        if r is None:
            client.call("resource_create", {"package_id": pkg["id"], **fields}, files={"upload": upload})
        else:
            client.call("resource_patch", {"id": r["id"], **fields}, files={"upload": upload})
    # the metadata (with its 截至 date) last: a failure during the uploads leaves the old metadata in place
    changed = {k: v for k, v in wanted.items() if _norm(v) != _norm(pkg.get(k))}
    if pkg.get("owner_org") not in (organization,) and pkg.get("organization", {}).get("name") == organization:
        changed.pop("owner_org", None)  # CKAN answers with the organization's id
    if changed:
        client.call("package_patch", {"id": name, **changed})
    return {"name": name, "url": f"{client.url}/dataset/{name}", "writes": client.writes - before}


def _norm(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    return "" if v is None else str(v)
