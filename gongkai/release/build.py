"""Building a release directory: data files, Data Package, report, changelog and a hash-chained manifest."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import functools
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from ..files import sha256_file
from ..gate.pii import scrub, scrub_tree
from ..gate.protect import Protection
from ..ingest.workspace import FINAL
from ..quoting import lit
from ..report import Report
from ..spec.dataset import DatasetSpec
from ..spec.schema import CODES_DIR
from ..vocab import DOMAINS, FREQUENCIES
from .changelog import compare
from .coverage import coverage
from .writers import write_csv, write_json, write_parquet, write_xlsx

MANIFEST_FORMAT = 1
MEDIATYPES = {"csv": "text/csv", "json": "application/json", "parquet": "application/vnd.apache.parquet",
              "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "html": "text/html"}


def canonical_json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def dump_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def published_schema(spec: DatasetSpec, protection: Protection) -> dict[str, Any]:
    """The Table Schema of the published files: dropped fields removed, missing values written as empty."""
    d = copy.deepcopy(spec.schema_descriptor)
    gone = set(protection.dropped_fields)
    d["fields"] = [f for f in d["fields"] if f["name"] not in gone]
    d["missingValues"] = [""]
    for f in d["fields"]:
        rule = spec.privacy.fields.get(f["name"])
        if rule:  # masked or generalised: published as text, the source's constraints no longer apply
            f["type"] = "string"
            f.pop("format", None)
            f["constraints"] = {k: v for k, v in f.get("constraints", {}).items() if k == "required"}
            only = "".join(f"，仅限 {k} 为 {'、'.join(v)} 的行" for k, v in spec.privacy.only_if.get(f["name"], {}).items())
            f["description"] = (f.get("description", "") + f"（已按规则 {rule} 处理后公开{only}）").lstrip()
        if protection.suppression and f["name"] in protection.suppression["fields_suppressed"]:
            f.get("constraints", {}).pop("required", None)  # a suppressed cell is published empty
            f["description"] = (f.get("description", "") +
                                f"（小于 {protection.suppression['threshold']} 的数及其互补单元格已隐去，留空）").lstrip()
        if f.get("type") == "date":
            f["format"] = "default"
        if f.get("type") == "boolean":  # written as true/false
            f.pop("trueValues", None)
            f.pop("falseValues", None)
    pk = d.get("primaryKey")
    if pk and gone & set([pk] if isinstance(pk, str) else pk):
        d.pop("primaryKey")  # a dropped key field: the published table has no key
    d["foreignKeys"] = [fk for fk in d.get("foreignKeys", [])
                        if not gone & set([fk["fields"]] if isinstance(fk["fields"], str) else fk["fields"])]
    if not d["foreignKeys"]:
        d.pop("foreignKeys")
    return d


def fingerprint(csv_sha256: str, schema: dict[str, Any]) -> str:
    """Identity of a release's content: the published CSV (its sha256) and schema. Same fingerprint → no new
    version."""
    h = hashlib.sha256(canonical_json(schema))
    h.update(bytes.fromhex(csv_sha256))
    return h.hexdigest()


def build(spec: DatasetSpec, con: duckdb.DuckDBPyConnection, out: Path, *, version: str, report: Report,
          protection: Protection, sources: list[dict[str, Any]], previous: tuple[str, Path] | None,
          formed: str | None = None, formed_from: str | None = None, chain: tuple[str, Path] | None = None,
          refused: dict[str, str] | None = None, narrowed: tuple[str, str, int] | None = None) -> dict[str, Any]:
    """Write every file of a release into ``out`` from table :data:`FINAL`; return the manifest.

    ``previous`` is the current version (compared with, for "unchanged" and the changelog); ``chain`` the newest
    version, withdrawn or not, that the manifest links to (default: ``previous``); ``refused`` the fingerprints of
    withdrawn versions, whose content is not released again; ``narrowed`` (old, new, rows) two relations holding
    every row that may differ from ``previous`` and how many rows of :data:`FINAL` lie outside them (a partitioned
    release: its changed partitions), so that the changelog compares only those."""
    from .withdraw import refuse_withdrawn

    digest = functools.cache(sha256_file)  # each file of the release is hashed once, however often it is listed
    schema = published_schema(spec, protection)
    write_csv(con, FINAL, out / "data.csv")
    fp = fingerprint(digest(out / "data.csv"), schema)
    refuse_withdrawn(fp, refused or {}, spec.id)
    if previous:
        prev_manifest = json.loads((previous[1] / "manifest.json").read_text(encoding="utf-8"))
        if prev_manifest.get("fingerprint") == fp:
            return {"unchanged": True, "version": previous[0], "fingerprint": fp}
    write_json(con, FINAL, out / "data.json")
    write_parquet(con, FINAL, out / "data.parquet")
    titles = {f["name"]: scrub(f.get("title", f["name"])) for f in schema["fields"]}
    has_xlsx = write_xlsx(con, FINAL, out / "data.xlsx", titles)
    if not has_xlsx:
        report.notes.append("data.xlsx not written: more than 100,000 rows (use data.csv or data.parquet)")
    code_lists = _copy_code_lists(spec, schema, out)

    old, new, outside = None, FINAL, 0
    if previous and narrowed:
        old, new, outside = narrowed
    elif previous:
        con.execute(f"CREATE OR REPLACE VIEW previous AS SELECT * FROM read_parquet({lit(previous[1] / 'data.parquet')})")
        old = "previous"
    names = [f["name"] for f in schema["fields"]]
    changes = compare(con, old, new, [k for k in spec.primary_key if k in names], names)
    if outside and changes.get("unchanged") is not None:
        changes["unchanged"] += outside
    changes = {"dataset": spec.id, "from_version": previous[0] if previous else None, "to_version": version, **changes}
    dump_json(out / "changelog.json", scrub_tree(changes))
    findings = write_findings(report, out / "findings.csv")
    report.write_json(out / "validation.json")
    report.write_html(out / "validation.html", title=scrub(f"{spec.title.zh} {version}"))

    rows = int(con.execute(f"SELECT count(*) FROM {FINAL}").fetchone()[0])  # type: ignore[index]
    data_files = ["data.csv", "data.json", "data.parquet", *(["data.xlsx"] if has_xlsx else [])]
    package = _datapackage(spec, version, schema, out, data_files, code_lists, digest)
    dump_json(out / "datapackage.json", scrub_tree(package))

    files = sorted(p.name for p in out.iterdir() if p.is_file() and p.name != "manifest.json")
    manifest = {
        "gongkai_manifest": MANIFEST_FORMAT,
        "dataset": spec.id,
        "version": version,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "information_formed": formed,
        "information_formed_from": formed_from if formed else None,  # "data" (formed_field) or "source" (its date)
        "disclosure_deadline": _deadline(formed, spec),
        "title": spec.title.model_dump(),
        "publisher": spec.publisher.model_dump(exclude_none=True),
        "domain": spec.domain,
        "disclosure": spec.disclosure,
        "legal_basis": spec.legal_basis,
        "update_frequency": spec.update_frequency,
        "deadline": spec.deadline.model_dump(by_alias=True),
        "license": spec.license,
        "row_count": rows,
        "coverage": coverage(spec, con, FINAL, schema["fields"]),
        "fingerprint": fp,
        "sources": [{k: s[k] for k in ("name", "format", "sha256", "encoding", "sheet", "rows") if s.get(k) is not None}
                    for s in sources],
        "validation": {"valid": report.valid, "errors": report.error_count, "warnings": report.warning_count},
        "findings": findings,
        "protection": protection.to_dict(),
        "changes": {k: changes.get(k) for k in ("added", "removed", "changed")},
        "files": {name: {"sha256": digest(out / name), "bytes": (out / name).stat().st_size} for name in files},
        "previous": None,
    }
    chain = chain or previous
    if chain:
        manifest["previous"] = {"version": chain[0], "manifest_sha256": sha256_file(chain[1] / "manifest.json")}
    manifest = scrub_tree(manifest)  # source file and sheet names, titles: no personal number in full
    dump_json(out / "manifest.json", manifest)
    return manifest


FINDING_COLUMNS = ["rule", "finding", "finding_zh", "message", "key", "file", "sheet", "row", "value"]


def write_findings(report: Report, path: Path) -> dict[str, Any]:
    """The conduct findings of the gate (late publication, overspending…) as data of the release: ``findings.csv``
    with the row's key and where it came from; returns the counts the manifest and compliance keep."""
    from ..spec.suite import FINDINGS

    found = [p for p in report.problems if p.finding]
    by_category: dict[str, int] = {}
    by_rule: dict[str, int] = {}
    for p in found:
        by_category[p.finding or "other"] = by_category.get(p.finding or "other", 0) + 1
        by_rule[p.rule or p.type] = by_rule.get(p.rule or p.type, 0) + 1
    if not found:
        return {"total": 0}
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(FINDING_COLUMNS)
        for p in found:
            w.writerow([scrub(str(v)) if v is not None else "" for v in
                        (p.rule, p.finding, FINDINGS.get(p.finding or "", ""), p.message, p.key, p.file, p.sheet,
                         p.row, p.value)])
    return {"total": len(found), "by_category": by_category, "by_rule": by_rule, "file": path.name}


def _deadline(formed: str | None, spec: DatasetSpec) -> str | None:
    """Due date of the disclosure; None when the formed date is unknown or beyond the holiday calendar."""
    if not formed:
        return None
    due = spec.deadline.due(dt.date.fromisoformat(formed))
    return due.isoformat() if due else None


def _copy_code_lists(spec: DatasetSpec, schema: dict[str, Any], out: Path) -> list[str]:
    names = []
    for fk in schema.get("foreignKeys", []):
        res = fk["reference"].get("resource")
        if res and res not in names:
            shutil.copyfile(spec.schema_path.parent / CODES_DIR / f"{res}.csv", out / f"{res}.csv")
            names.append(res)
    return names


def _datapackage(spec: DatasetSpec, version: str, schema: dict[str, Any], out: Path, data_files: list[str],
                 code_lists: list[str], digest: Callable[[Path], str] = sha256_file) -> dict[str, Any]:
    def res(name: str, path: str, fmt: str, **extra: Any) -> dict[str, Any]:
        p = out / path
        return {"name": name, "path": path, "format": fmt, "mediatype": MEDIATYPES.get(fmt, "text/plain"),
                "bytes": p.stat().st_size, "hash": f"sha256:{digest(p)}", **extra}

    resources = []
    for f in data_files:
        fmt = f.rsplit(".", 1)[1]
        name = spec.id if fmt == "csv" else f"{spec.id}-{fmt}"
        extra: dict[str, Any] = {"schema": schema} if fmt in ("csv", "json", "xlsx") else {}
        if fmt == "parquet":  # frictionless checks its bytes and hash as a file (it cannot count a parquet table's)
            extra["type"] = "file"
        if fmt == "csv":
            extra.update(encoding="utf-8", dialect={"delimiter": ",", "header": True})
        if fmt == "xlsx":  # row 1 holds the Chinese titles for people, row 2 the field names
            extra.update(dialect={"headerRows": [2]})
        resources.append(res(name, f, fmt, **extra))
    for c in code_lists:
        header = (out / f"{c}.csv").read_text(encoding="utf-8").split("\n", 1)[0].strip().split(",")
        code_schema = {"fields": [{"name": h, "type": "string"} for h in header]}
        resources.append(res(c, f"{c}.csv", "csv", encoding="utf-8", schema=code_schema))
    return {
        "name": spec.id,
        "title": spec.title.zh,
        "description": spec.description.zh,
        "version": version,
        "licenses": [{"name": spec.license}],
        "keywords": spec.tags,
        "created": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "gongkai": {
            "title_en": spec.title.en, "description_en": spec.description.en, "domain": spec.domain,
            "domain_zh": DOMAINS[spec.domain], "publisher": spec.publisher.model_dump(exclude_none=True),
            "disclosure": spec.disclosure, "legal_basis": spec.legal_basis,
            "update_frequency": spec.update_frequency, "update_frequency_zh": FREQUENCIES[spec.update_frequency],
        },
        "resources": resources,
    }
