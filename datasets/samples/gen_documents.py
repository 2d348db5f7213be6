"""Sample: the 财政专项扶贫资金 tree as journalists find it — three tables of three levels, linked only by 文号.

No table carries an allocation id. The province's table (XLSX, amounts in 万元 by a sheet note, a 合计 row) lists
what each city received and the province's 下达文号; each city's table (one GBK CSV for all cities, 万元 in the
header) lists the 上级文号 it received under and its own 下达文号 per county; each county's table (UTF-8 CSV with
BOM, amounts in 元 with thousands separators) lists the projects with the 上级文号 and the county's 文号. The
amounts and documents are those of the ``fund-allocations`` sample (``generate.allocations``), so the tree traced
from these files is the one released there, including its planted gap (宣威市 passes 12.50 万元 less to its
projects than it received). Two senders are written as clerks write them: 迪庆州财政局 for 迪庆藏族自治州财政局
(found by its 上级文号 alone) and 宣威市 财政局 with a space (found after normalising).

    gongkai flows trace --file 云南省….xlsx --file 各州市….csv --file 各县….csv
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import sys
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # generate.py normally does this
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import SEED, _poverty, allocations, lottery_projects

FUND = "财政专项扶贫资金"
YEAR = 2025
FIXED = dt.datetime(2025, 11, 21, 9, 0, 0)
WRITTEN_AS = {"迪庆藏族自治州财政局": "迪庆州财政局", "宣威市财政局": "宣威市 财政局"}
DIR = "fund-documents"


def tree() -> list[dict[str, object]]:
    """The 财政专项扶贫资金 rows of the allocation sample (Chinese headers, amounts in 万元 as text)."""
    rows = allocations(lottery_projects(random.Random(SEED)), *_poverty())
    return [r for r in rows if r["资金名称"] == FUND]


def levels() -> tuple[list[dict[str, object]], list[dict[str, object]], list[dict[str, object]]]:
    """Province → cities, cities → counties, counties → projects, each row with 上级文号 and its own 文号."""
    rows = tree()
    by_id = {r["分配编号"]: r for r in rows}

    def parent_doc(r: dict[str, object]) -> object:
        return by_id[r["上级分配编号"]]["文号"] if r["上级分配编号"] else ""

    province = [{"序号": i, "资金名称": FUND, "年度": YEAR, "拨出单位": r["拨出单位"], "接收单位": r["接收单位"],
                 "行政区划代码": r["接收地区代码"], "上级文号": parent_doc(r), "下达文号": r["文号"],
                 "金额": float(str(r["金额（万元）"]).replace(",", "")), "下达日期": r["下达日期"]}
                for i, r in enumerate((r for r in rows if r["层级"] == "市"), start=1)]
    cities = [{"拨出单位": WRITTEN_AS.get(str(r["拨出单位"]), r["拨出单位"]), "接收单位": r["接收单位"],
               "行政区划代码": r["接收地区代码"], "上级文号": parent_doc(r), "下达文号": r["文号"],
               "金额（万元）": r["金额（万元）"], "下达日期": r["下达日期"]} for r in rows if r["层级"] == "县"]
    counties = [{"拨出单位": WRITTEN_AS.get(str(r["拨出单位"]), r["拨出单位"]), "项目编号": r["项目编号"],
                 "项目名称": r["资金用途"], "实施单位": r["接收单位"], "上级文号": parent_doc(r), "下达文号": r["文号"],
                 "金额（元）": f"{round(float(str(r['金额（万元）']).replace(',', '')) * 10_000):,}",
                 "下达日期": r["下达日期"]} for r in rows if r["层级"] == "项目"]
    return province, cities, counties


def write_province(rows: list[dict[str, object]], path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "分配表"
    ws.append([f"云南省财政厅关于下达{YEAR}年{FUND}的通知（附件：分配表）"])
    ws.append(["", "", "", "", "", "", "", "", "单位：万元"])
    header = list(rows[0])
    ws.append(header)
    for r in rows:
        ws.append([r[h] for h in header])
    ws.append(["", "", "", "", "合计", "", "", "", round(sum(float(r["金额"]) for r in rows), 2), ""])  # type: ignore[arg-type]
    wb.properties.created = wb.properties.modified = FIXED
    wb.properties.creator = "云南省财政厅"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def write_csv(rows: list[dict[str, object]], path: Path, encoding: str) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))


def generate(out: Path) -> list[Path]:
    province, cities, counties = levels()
    paths = [out / DIR / f"云南省{YEAR}年{FUND}分配表.xlsx", out / DIR / f"各州市{YEAR}年{FUND}分配表.csv",
             out / DIR / f"各县{YEAR}年{FUND}项目资金分配表.csv"]
    write_province(province, paths[0])
    write_csv(cities, paths[1], "gbk")
    write_csv(counties, paths[2], "utf-8-sig")
    return paths


if __name__ == "__main__":
    for p in generate(Path(__file__).resolve().parent):
        print(p)
