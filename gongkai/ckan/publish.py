"""Publishing releases to CKAN: a plan of what would change, then its application, idempotent and fault-tolerant.

Layout: one CKAN dataset per gongkai dataset (name = dataset id). Every version's files are resources of it, named
``v3 data.csv`` with ``version`` and ``sha256`` fields, and are never deleted (but for a withdrawn version's, whose
manifest stays beside its tombstone), so each version keeps a stable download URL. The dataset's metadata (current_version, sha256, row_count …) names the current version, and only the
current ``data.csv`` has a DataStore table. A new version is uploaded and loaded beside the old one; the metadata
patch at the end is the switch. A run that dies anywhere leaves the previous version current and complete, and the
next run picks up where it stopped: every write is preceded by a lookup, so a write CKAN saved but answered with an
error is not repeated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import CkanError, NotAuthorized, UsageError
from ..files import sha256_file
from ..gate.pii import scrub, scrub_tree
from ..release.store import TOMBSTONE, Store
from ..release.withdraw import KEEP
from ..spec.dataset import DatasetSpec
from .client import Client
from .resources import put_resource

FILES = ["data.csv", "data.json", "data.parquet", "datapackage.json", "validation.json", "validation.html",
         "changelog.json", "manifest.json"]  # the order on the dataset page; a release's other files come after
FORMATS = {"csv": "CSV", "json": "JSON", "parquet": "Parquet", "html": "HTML", "xlsx": "XLSX"}
LICENSES = {"CC-BY-4.0": "cc-by", "CC0-1.0": "cc-zero", "CC-BY-SA-4.0": "cc-by-sa", "ODC-BY-1.0": "odc-by"}
# numeric, not float8: money stays exactly as published (3749500, 12.30)
DATASTORE_TYPES = {"string": "text", "integer": "int8", "number": "numeric", "boolean": "bool", "date": "date",
                   "datetime": "timestamp", "year": "int4", "any": "text"}
META_KEYS = ["title", "title_en", "notes", "notes_en", "owner_org", "private", "domain", "publisher", "disclosure",
             "legal_basis", "update_frequency", "current_version", "sha256", "row_count", "validation_status",
             "date_formed", "date_published", "disclosure_deadline", "license_id"]


@dataclass
class Step:
    kind: Literal["withdraw-resource", "create-dataset", "upload", "load-datastore", "update-metadata",
                  "drop-old-table"]
    detail: str
    data: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class Plan:
    dataset: str
    status: Literal["create", "update", "unchanged", "refused"]
    steps: list[Step] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "status": self.status, "version": self.version, "reasons": self.reasons,
                "steps": [{"kind": s.kind, "detail": s.detail} for s in self.steps]}


class Publisher:
    def __init__(self, store: Store, client: Client) -> None:
        self.store, self.client = store, client
        self._orgs: dict[str, dict[str, Any]] | None = None

    # -- plan ------------------------------------------------------------------------------------------

    def plan(self, spec: DatasetSpec) -> Plan:
        if spec.disclosure == "不予公开":
            return Plan(spec.id, "refused", reasons=["公开属性为“不予公开”：不发布到目录（未向 CKAN 发送任何请求）"])
        versions = self.store.versions(spec.id)
        if not versions:
            raise UsageError(f"{spec.id} has no release to publish", f"Run `gongkai release {spec.id}` first.")
        current = self.store.latest(spec.id)
        if current is None:
            raise UsageError(f"{spec.id}：所有版本都已撤回，没有可发布的当前版本",
                             f"先发布一个新版本（gongkai release {spec.id}），再发布到目录。")
        org = self._organization(spec)
        remote = self.client.show("package_show", id=spec.id)
        plan = Plan(spec.id, "update" if remote else "create", version=current)
        if remote is None:
            plan.steps.append(Step("create-dataset", f"create {spec.id} in {org['name']} (private until complete)",
                                   {"name": spec.id, "title": spec.title.zh, "owner_org": org["name"], "private": True,
                                    "domain": spec.domain, "disclosure": spec.disclosure,
                                    "update_frequency": spec.update_frequency}))
            plan.reasons.append("not in the catalog yet")
        elif remote.get("owner_org") not in (org["id"], org["name"]):
            raise CkanError(f"{spec.id} exists in CKAN under another organization", "Move it in CKAN or fix the spec.")
        resources = (remote or {}).get("resources", [])
        have = {(r.get("version"), r.get("name", "").split(" ", 1)[-1]): r for r in resources}
        if len(have) < len(resources):
            raise CkanError(f"{spec.id}: the catalog holds the same version file twice",
                            "Delete the duplicate resource in CKAN (keep the one whose sha256 matches), then publish again.")
        plan.steps += self._withdrawals(spec, versions, have)
        for v in versions:
            for name in release_files(self.store.release_dir(spec.id, v)):
                path = self.store.release_dir(spec.id, v) / name
                r = have.get((v, name))
                digest = sha256_file(path)
                if r is None:
                    plan.steps.append(Step("upload", f"upload {v} {name}", {"version": v, "name": name, "path": path,
                                                                           "sha256": digest}))
                elif r.get("sha256") != digest:
                    raise CkanError(f"{spec.id}: the catalog's {v} {name} differs from the local release (sha256)",
                                    "Releases are immutable: find out who changed it before publishing again.")
        csv = have.get((current, "data.csv"))
        csv_sha = sha256_file(self.store.release_dir(spec.id, current) / "data.csv")
        if csv is None or not csv.get("datastore_active") or csv.get("datastore_sha256") != csv_sha:
            plan.steps.append(Step("load-datastore", f"load {current} data.csv into the DataStore", {"version": current}))
        wanted = self._metadata(spec, org["id"], current)
        changed = [k for k in META_KEYS if _norm(wanted.get(k)) != _norm((remote or {}).get(k))]
        if remote is not None:
            if sorted(t["name"] for t in wanted["tags"]) != sorted(t["name"] for t in remote.get("tags", [])):
                changed.append("tags")
            if sorted(g["name"] for g in wanted["groups"]) != sorted(g["name"] for g in remote.get("groups", [])):
                changed.append("groups")
        if changed or remote is None:
            plan.steps.append(Step("update-metadata", "set " + ", ".join(changed or ["metadata"]), wanted))
            if remote is not None:
                plan.reasons.append("metadata differs: " + ", ".join(changed))
        for (v, name), r in have.items():
            if name == "data.csv" and v != current and r.get("datastore_active") and not self.store.is_withdrawn(spec.id, v):
                plan.steps.append(Step("drop-old-table", f"drop the DataStore table of {v}", {"resource_id": r["id"]}))
        uploads = [s for s in plan.steps if s.kind == "upload"]
        if uploads and remote is not None:
            plan.reasons.append(f"{len(uploads)} file(s) to upload ({', '.join(sorted({s.data['version'] for s in uploads}))})")
        if not plan.steps:
            plan.status = "unchanged"
            plan.reasons.append(f"catalog already has {current} and every earlier version")
        return plan

    def _withdrawals(self, spec: DatasetSpec, versions: list[str], have: dict[tuple[str, str], Any]) -> list[Step]:
        """Delete from the catalog every file of a withdrawn version but its manifest (its tombstone is uploaded)."""
        steps = []
        for v in versions:
            if not self.store.is_withdrawn(spec.id, v):
                continue
            for (rv, name), r in sorted(have.items()):
                if rv == v and name not in KEEP:
                    steps.append(Step("withdraw-resource", f"delete {v} {name} (withdrawn)",
                                      {"resource_id": r["id"], "datastore": bool(r.get("datastore_active"))}))
        return steps

    def _organization(self, spec: DatasetSpec) -> dict[str, Any]:
        if self._orgs is None:
            self._orgs = organizations(self.client)
        return organization_of(self._orgs, spec.publisher.name, spec.id)

    def _metadata(self, spec: DatasetSpec, org: str, version: str) -> dict[str, Any]:
        d = self.store.release_dir(spec.id, version)
        m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        v = m["validation"]
        return scrub_tree({  # what the catalog shows is published: no personal number in full
            "name": spec.id, "title": spec.title.zh, "title_en": spec.title.en, "notes": spec.description.zh,
            "notes_en": spec.description.en, "owner_org": org, "private": spec.disclosure == "依申请公开",
            "domain": spec.domain, "publisher": spec.publisher.name, "disclosure": spec.disclosure,
            "legal_basis": "；".join(spec.legal_basis), "update_frequency": spec.update_frequency,
            "current_version": version, "sha256": sha256_file(d / "manifest.json"),
            "row_count": str(m["row_count"]),
            "validation_status": f"通过校验（{v['warnings']} 个警告）" if v["warnings"] else "通过校验",
            "date_formed": m.get("information_formed") or "", "date_published": m["created"][:10],
            "disclosure_deadline": m.get("disclosure_deadline") or "",
            **_coverage(m.get("coverage") or {}),
            "license_id": LICENSES.get(spec.license, spec.license),
            "tags": [{"name": t} for t in spec.tags], "groups": [{"name": spec.domain}],
        })

    # -- apply -----------------------------------------------------------------------------------------

    def apply(self, spec: DatasetSpec, plan: Plan) -> None:
        if plan.status in ("refused", "unchanged"):
            return
        for step in plan.steps:
            getattr(self, "_" + step.kind.replace("-", "_"))(spec, step)

    def _create_dataset(self, spec: DatasetSpec, step: Step) -> None:
        if self.client.show("package_show", id=spec.id) is None:  # a 500 may have saved it: look first
            self.client.call("package_create", step.data)

    def _upload(self, spec: DatasetSpec, step: Step) -> None:
        v, name = step.data["version"], step.data["name"]
        pkg = self.client.call("package_show", {"id": spec.id})  # a 500 may have saved it: look first
        m = self.store.manifest(spec.id, v)
        put_resource(self.client, pkg, f"{v} {name}", step.data["path"],
                     {"version": v, "format": FORMATS.get(name.rsplit(".", 1)[1], "JSON"),
                      "description": scrub(f"{spec.title.zh} {v}：{name}"),
                      "release_rows": str(m["row_count"]), "release_date": m["created"][:10]}, immutable=True)

    def _load_datastore(self, spec: DatasetSpec, step: Step) -> None:
        v = step.data["version"]
        pkg = self.client.call("package_show", {"id": spec.id})
        res = next(r for r in pkg["resources"] if r.get("version") == v and r.get("name") == f"{v} data.csv")
        path = self.store.release_dir(spec.id, v) / "data.csv"
        schema = json.loads((self.store.release_dir(spec.id, v) / "datapackage.json").read_text(encoding="utf-8"))
        fields = next(r for r in schema["resources"] if r["path"] == "data.csv")["schema"]
        self.client.call("datastore_create", {
            "resource_id": res["id"], "force": True,
            "primary_key": fields.get("primaryKey") or [],
            "fields": [{"id": f["name"], "type": DATASTORE_TYPES.get(f.get("type", "string"), "text"),
                        "info": {"label": f.get("title", ""), "notes": f.get("description", ""),
                                 **({"unit": f["unit"]} if f.get("unit") else {})}} for f in fields["fields"]]})
        self.client.call("gongkai_datastore_load", {"resource_id": res["id"]})
        self.client.call("resource_patch", {"id": res["id"], "datastore_sha256": sha256_file(path)})
        self._table_view(res["id"])

    def _table_view(self, resource_id: str) -> None:
        """CKAN's own table preview (datatables_view) of the loaded data, once; skipped where the plugin is off."""
        views = self.client.call("resource_view_list", {"id": resource_id})
        if any(view.get("view_type") == "datatables_view" for view in views):
            return
        try:
            self.client.call("resource_view_create", {"resource_id": resource_id, "view_type": "datatables_view",
                                                      "title": "数据预览"})
        except CkanError as e:  # a catalog without the datatables_view plugin: the data is there, only no preview
            if "view_type" not in str(e):
                raise

    def _update_metadata(self, spec: DatasetSpec, step: Step) -> None:
        self.client.call("package_patch", {"id": spec.id, **step.data})

    def _withdraw_resource(self, spec: DatasetSpec, step: Step) -> None:
        rid = step.data["resource_id"]
        pkg = self.client.call("package_show", {"id": spec.id})  # a 500 may have deleted it: look first
        if not any(r["id"] == rid for r in pkg.get("resources", [])):
            return
        if step.data["datastore"]:
            self.client.call("datastore_delete", {"resource_id": rid, "force": True})
        self.client.call("gongkai_resource_withdraw", {"id": rid})

    def _drop_old_table(self, spec: DatasetSpec, step: Step) -> None:
        self.client.call("datastore_delete", {"resource_id": step.data["resource_id"], "force": True})


def release_files(d: Path) -> list[str]:
    """Every file of a release directory — exactly what its manifest lists, and the manifest — in page order."""
    if (d / TOMBSTONE).is_file():  # withdrawn: only its manifest (for the chain) and its tombstone
        return ["manifest.json", TOMBSTONE]
    names = {*json.loads((d / "manifest.json").read_text(encoding="utf-8"))["files"], "manifest.json"}
    return [n for n in FILES if n in names] + sorted(names - set(FILES))


def _norm(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    return "" if v is None else str(v)


def _coverage(c: dict[str, Any]) -> dict[str, str]:
    """The release's span in time and place as catalog fields (DCAT dct:temporal / dct:spatial); none if unknown."""
    t, s = c.get("temporal") or {}, c.get("spatial") or {}
    return {k: v for k, v in {"temporal_start": t.get("start"), "temporal_end": t.get("end"),
                              "spatial_code": s.get("code"), "spatial_text": s.get("name")}.items() if v}


def organizations(client: Client) -> dict[str, dict[str, Any]]:
    """The organizations this token may create datasets in, by title (the agency's name, e.g. 省民政厅)."""
    return {o["title"]: o for o in client.call("organization_list_for_user", {"permission": "create_dataset"})}


def organization_of(orgs: dict[str, dict[str, Any]], agency: str, what: str) -> dict[str, Any]:
    """The CKAN organization of ``agency``, or NotAuthorized naming the organizations the token has."""
    org = orgs.get(agency)
    if org is None:
        raise NotAuthorized(f"not authorized for organization {agency}: this token cannot publish "
                            f"{what} (its organizations: {', '.join(orgs) or 'none'})",
                            "Publish with a token of a member (editor or admin) of that organization.")
    return org
