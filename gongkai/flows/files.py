"""Any file, no spec: fund flows from a CSV or XLSX a journalist found (``gongkai flows … --file PATH``).

Each file is read by the ingest machinery (:class:`gongkai.ingest.Ingest`: encodings, header detection over
merged and multi-row headers, units in headers and sheet notes, full-width digits, 万元 → 元), from an in-memory
spec made for it: a first pass finds which columns play which role — by the role's name (``from``, ``to``,
``amount`` …) or its usual Chinese headers (:data:`ROLE_HEADERS`), or as ``--map ROLE=COLUMN`` says — and a
second reads those columns only. The gate's Table Schema checks report cells that are not numbers or dates, with
file and row. The rows become table ``edges`` and then the same flows, nodes and rules as a released edge list
(:mod:`.edges`), so a file and the same data released through a spec give the same answers.

A file whose amounts are 合同金额 (or, named with ``--map amount=``, 中标金额 / 成交金额) or whose recipients are
供应商 is read as contracts: stage 合同, from the project (项目编号 or 项目名称) to the supplier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ..errors import SourceError, UsageError
from ..gate.checks import SchemaChecker
from ..identifiers import regions
from ..ingest import Ingest, Workspace, norm_label, split_unit
from ..ingest.limits import check_file
from ..ingest.workspace import DATA
from ..quoting import lit, q
from ..report import Problem, Report
from ..settings import SourceLimits
from ..spec.dataset import DatasetSpec
from ..spec.links import STAGES
from .edges import EDGE_COLUMNS, EDGES_DDL
from .model import FlowFile, FlowModel, finish_tables, load_regions, unit_factor

ROLE_HEADERS: dict[str, list[str]] = {
    "from": ["拨出单位", "下达单位", "拨款单位", "付款单位", "分配单位", "资金拨出单位", "上级单位", "来源单位",
             "资金来源单位", "主管部门", "from_org", "from_node", "source", "payer"],
    "to": ["接收单位", "收款单位", "使用单位", "资金使用单位", "接收对象", "分配对象", "下达对象", "资金接收单位",
           "受助单位", "去向", "to_org", "to_node", "target", "recipient", "payee", "供应商", "供应商名称", "中标供应商",
           "成交供应商", "中标(成交)供应商", "中标(成交)供应商名称", "中标人", "supplier"],
    "amount": ["金额", "分配金额", "下达金额", "拨付金额", "支出金额", "资金金额", "资金数额", "资金规模", "补助金额",
               "合同金额", "value", "amount_yuan", "amount_wan_yuan"],
    "fund": ["资金名称", "资金类别", "资金项目", "资金性质", "fund_name"],
    "year": ["年度", "年份", "资金年度", "预算年度"],
    "stage": ["阶段", "资金环节", "环节", "资金状态"],
    "document": ["文号", "下达文号", "本级文号", "本级下达文号", "发文文号", "文件号", "指标文号", "合同编号", "document_no"],
    "parent_document": ["上级文号", "上级下达文号", "来源文号", "依据文号", "上级指标文号", "收到文号"],
    "date": ["日期", "下达日期", "拨付日期", "发文日期", "支出日期", "签订日期", "合同签订日期"],
    "region": ["行政区划代码", "地区代码", "区划代码", "接收地区代码", "region_code"],
    "project": ["项目编号", "项目代码", "资金项目编号", "project_id"],
    "project_name": ["项目名称"],
    "to_code": ["统一社会信用代码", "供应商统一社会信用代码", "信用代码"],
}
ROLES = list(ROLE_HEADERS)
REQUIRED = ("from", "to", "amount")
CONTRACT_AMOUNTS = {"合同金额", "中标金额", "成交金额", "中标(成交)金额"}
ENGLISH_UNITS = {"amount_wan_yuan": "万元", "amount_yuan": "元"}
STAGE_WORDS = {"下达": ["下达", "分配", "切块", "安排", "下拨", "allocate", "allocation"],
               "拨付": ["拨付", "拨款", "disburse", "disbursement"],
               "支出": ["支出", "使用", "实际支出", "已支出", "支付", "spend", "spent", "expenditure"],
               "结余": ["结余", "结转", "结存", "剩余", "年末结余", "上年结余", "balance"],
               "合同": ["合同", "签订合同", "中标", "成交", "contract"]}
TOTALS = ("合计", "总计", "小计", "累计")  # rows whose sender or recipient starts so are totals, left out
MISSING = ["", "/", "-", "—", "－", "无"]
_NEVER = "\x00"  # a header no file has: the first pass reads the header only


@dataclass
class FileRead:
    """One file's rows as ``edges`` columns (Arrow), and what was read and how."""

    flow_file: FlowFile
    table: pa.Table
    stage: str
    notes: list[str] = field(default_factory=list)


def parse_maps(maps: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``--map ROLE=COLUMN`` options as a dict (errors name the option)."""
    out: dict[str, str] = {}
    for m in maps:
        role, sep, column = m.partition("=")
        role = role.strip()
        if not sep or not column.strip():
            raise UsageError(f"--map {m!r}: write ROLE=COLUMN, e.g. --map from=拨款单位")
        if role not in ROLES:
            raise UsageError(f"--map {m!r}: unknown role {role!r}", f"roles: {', '.join(ROLES)}")
        out[role] = column.strip()
    return out


def build_files(paths: list[Path], maps: dict[str, str] | None = None, unit: str | None = None,
                stage: str | None = None, aliases: dict[str, str] | None = None,
                memory_limit: str = "1GB", limits: SourceLimits | None = None) -> FlowModel:
    """The flow model of one or more files read without a spec (see the module docstring); ``limits`` are the
    settings' source limits, the same as for a release."""
    if stage is not None and stage not in STAGES:
        raise UsageError(f"--stage {stage!r} is not a stage", f"stages: {'、'.join(STAGES)}")
    con = duckdb.connect()
    con.execute(EDGES_DDL)
    files = []
    for path in paths:
        read = read_file(path, maps or {}, unit, stage, memory_limit, limits)
        con.register("file_rows", read.table)
        con.execute(f"INSERT INTO edges SELECT {', '.join(q(c) for c in EDGE_COLUMNS)} FROM file_rows")
        con.unregister("file_rows")
        files.append(read.flow_file)
    aliases = aliases or {}
    finish_tables(con, [], [], aliases)
    load_regions(con, None)
    names = {c: r.name for c, r in regions().items()}
    con.register("region_list", pa.table({"code": list(names), "name": list(names.values())}))
    con.execute("INSERT INTO regions SELECT * FROM region_list")
    con.unregister("region_list")
    return FlowModel(con, {}, names, files, aliases)


def read_file(path: Path, maps: dict[str, str], unit: str | None, stage: str | None,
              memory_limit: str = "1GB", limits: SourceLimits | None = None) -> FileRead:
    """Read one file's flow rows: find the roles' columns, then load, normalise and check them."""
    if not path.exists():
        raise UsageError(f"--file {path}: no such file")
    limits = limits or SourceLimits()
    check_file(path, limits)  # a FIFO, a device, a file over the size limit: refused before it is opened
    with Workspace(memory_limit, limits=limits) as ws:
        found = _find_columns(path, maps, ws)
        roles = {c.field: c for c in found}
        for role, column in maps.items():
            if role not in roles:
                raise UsageError(f"--map {role}={column}: {path.name} has no column {column!r}",
                                 "columns recognised: " + "、".join(c.label for c in found))
        last = {r: split_unit(c.label)[0].split("/")[-1] for r, c in roles.items()}  # 合同信息/合同金额 → 合同金额
        contract = last.get("amount") in CONTRACT_AMOUNTS or last.get("to", "").startswith(("供应商", "中标", "成交"))
        default_stage = stage or ("合同" if contract else "下达")
        if "to" not in roles and not contract:
            for fallback in ("project_name", "project"):
                if fallback in roles:
                    roles["to"] = roles.pop(fallback)
                    break
        if contract and "from" not in roles:
            for fallback in ("project", "project_name"):
                if fallback in roles:
                    roles["from"] = roles.pop(fallback)
                    break
        missing = [r for r in REQUIRED if r not in roles]
        if missing:
            raise UsageError(f"{path.name}: no column for {', '.join(missing)} (拨出单位 → 接收单位, 金额)",
                             "columns recognised: " + ("、".join(f"{c.label} = {c.field}" for c in found) or "none")
                             + f"; name the others with --map ROLE=COLUMN, e.g. --map {missing[0]}=<column>")
        spec = _spec(path, {r: c.label for r, c in roles.items()}, unit)
        report = Report("file")
        ingest = Ingest(spec, ws, report)
        try:
            ingest.load(path)
        except SourceError as e:
            raise UsageError(e.message if e.message.startswith(path.name) else f"{path.name}: {e.message}",
                             e.hint) from None
        src = ingest.files[0]
        if src.table is None:
            raise UsageError(f"{path.name}: " + "; ".join(p.message for p in report.problems[:3]))
        ingest.create_view()
        labels = {(src.path.name, c.field): c.label for c in src.columns}
        SchemaChecker(ws.con, spec.table_schema, path.parent, labels).run(report)
        amount_unit = next((c.unit for c in src.columns if c.field == "amount"), None)
        flow_file = FlowFile(str(path), path.name, src.sha256, src.rows,
                             {r: c.label for r, c in sorted(roles.items())}, amount_unit)
        table = _rows(ws.con, spec, flow_file, default_stage, report)
        flow_file.problems = [{"type": p.type, "message": p.message, "row": p.row, "column": p.column,
                               "value": p.value} for p in report.problems[:50]]
        return FileRead(flow_file, table, default_stage)


def _find_columns(path: Path, maps: dict[str, str], ws: Workspace):  # type: ignore[no-untyped-def]
    """First pass: the header row and which column plays which role (the file is not loaded)."""
    headers = {r: [*ROLE_HEADERS[r], r] for r in ROLES}
    for role, column in maps.items():
        for r in ROLES:
            headers[r] = [h for h in headers[r] if norm_label(h) != norm_label(column)]
        headers[role] = [column]  # the column named, and no other
    probe = _spec(path, {**{r: headers[r] for r in ROLES}, "_probe": [_NEVER]}, None, probe=True)
    ingest = Ingest(probe, ws, Report("probe"), header_only=True)
    try:
        ingest.load(path)
    except SourceError as e:
        raise UsageError(e.message if e.message.startswith(path.name) else f"{path.name}: {e.message}",
                         "name the columns with --map ROLE=COLUMN (roles: " + ", ".join(ROLES) + ")") from None
    return [c for c in ingest.files[0].columns if c.field in ROLES]


def _spec(path: Path, columns: dict[str, Any], unit: str | None, probe: bool = False) -> DatasetSpec:
    """An in-memory dataset spec and Table Schema for the file: one field per role it has."""
    def field_of(role: str) -> dict[str, Any]:
        if probe or role not in ("amount", "date"):
            return {"name": role, "type": "string"}
        return {"name": role, "type": "number", "unit": "元"} if role == "amount" else {"name": role, "type": "date"}

    def column_map(role: str, label: Any) -> dict[str, Any]:
        if probe:
            return {"headers": label}
        cm: dict[str, Any] = {"headers": [label]}
        if role == "amount":
            cm["unit"] = ENGLISH_UNITS.get(label) or unit
        return cm

    spec = DatasetSpec.model_validate({
        "id": "flow-file", "title": {"zh": path.name, "en": path.name},
        "description": {"zh": "资金流向文件", "en": "A fund-flow file read without a spec"},
        "domain": "budget", "publisher": {"name": "（文件）"}, "disclosure": "主动公开", "legal_basis": ["（无）"],
        "update_frequency": "irregular", "schema": "(in memory)",
        "source": {"path": str(path), "extra_columns": "ignore",
                   "columns": {r: column_map(r, label) for r, label in columns.items()}},
        "path": path.resolve()})
    spec.__dict__["schema_descriptor"] = {"fields": [field_of(r) for r in columns], "missingValues": MISSING}
    return spec


def _rows(con: duckdb.DuckDBPyConnection, spec: DatasetSpec, f: FlowFile, default_stage: str,
          report: Report) -> pa.Table:
    """The file's rows as ``edges`` columns; rows without an amount, or without sender and recipient, or that
    are 合计 rows, are left out (and counted in the report)."""
    have = set(spec.field_names)

    def col(role: str) -> str:  # cells arrive trimmed from the ingest
        return f"d.{q(role)}" if role in have else "CAST(NULL AS VARCHAR)"

    words = ", ".join(f"({lit(w)}, {lit(s)})" for s, ws in STAGE_WORDS.items() for w in ws)
    con.execute(f"CREATE OR REPLACE TEMP TABLE stage_words AS SELECT * FROM (VALUES {words}) t(word, stage)")
    stage = "w.stage"
    amount = f"CAST(round(TRY_CAST(d.{q('amount')} AS DECIMAL(38,4)), 2) AS DECIMAL(18,2))"
    year = f"TRY_CAST(regexp_extract({col('year')}, '([0-9]{{4}})', 1) AS INTEGER)"
    date = f"TRY_CAST(d.{q('date')} AS DATE)" if "date" in have else "CAST(NULL AS DATE)"
    total = " OR ".join(f"left(replace(coalesce({col(r)}, ''), ' ', ''), 2) IN ({', '.join(lit(t) for t in TOTALS)})"
                        for r in ("from", "to"))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE file_edges AS
        SELECT {lit(f.name)} AS dataset, {lit(f.sha256[:12])} AS version, {col('fund')} AS fund, {year} AS year,
               coalesce({stage}, {lit(default_stage)}) AS stage, {col('from')} AS from_node, {col('to')} AS to_node,
               {col('region')} AS region_code, {col('project')} AS project_id, {col('project_name')} AS project_name,
               upper({col('to_code')}) AS to_code, {amount} AS amount, {lit(f.unit or '元')} AS source_unit,
               {unit_factor(f.unit)} AS unit_factor, {col('document')} AS document_no,
               {col('parent_document')} AS parent_document, {date} AS date, {lit(f.name)} AS file, _row AS line,
               {col('stage')} AS stage_text, {stage} IS NULL AND {col('stage')} IS NOT NULL AS odd_stage,
               ({total}) AS total_row
        FROM {DATA} d LEFT JOIN stage_words w ON w.word = lower({col('stage')})""")
    for line, value in con.execute("SELECT line, stage_text FROM file_edges WHERE odd_stage AND NOT total_row "
                                   "ORDER BY line LIMIT 20").fetchall():
        report.add(Problem("enum-error", f"阶段「{value}」不是下达、拨付、支出、结余或合同，按{default_stage}计",
                           "用 --stage 指定没有阶段的行按哪一阶段计；或改正这一格。", file=f.name, row=line,
                           field="stage", value=value, severity="warning"))
    for line, what in con.execute("""
            SELECT line, CASE WHEN amount IS NULL THEN '没有金额' WHEN from_node IS NULL THEN '没有拨出单位'
                              ELSE '没有接收单位' END
            FROM file_edges WHERE NOT total_row AND (amount IS NULL OR from_node IS NULL OR to_node IS NULL)
            ORDER BY line LIMIT 20""").fetchall():
        report.add(Problem("required-error", f"{what}，这一行未计入", "补上这一格，或删除这一行。", file=f.name,
                           row=line, severity="warning"))
    kept = (f"SELECT {', '.join(EDGE_COLUMNS)} FROM file_edges WHERE NOT total_row AND amount IS NOT NULL "
            "AND from_node IS NOT NULL AND to_node IS NOT NULL ORDER BY line")
    table = con.sql(kept).to_arrow_table()
    f.rows = table.num_rows
    return table
