"""Sample source of ``government-procurement`` (政府采购: 采购意向 → 采购结果 → 合同), for the poverty projects.

One XLSX as a county 财政局 compiles it from the notices on its 政府采购网 (ccgp-yunnan style): a title row, a
填报单位 / 单位：万元 note, a two-row merged header (中标(成交)信息 over 供应商名称 / 统一社会信用代码 /
中标(成交)金额; 合同信息 over 合同编号 / 合同金额 / 签订日期 / 合同公告日期), dates typed three ways (date cells,
``2025年4月3日``, ``2025/4/3``), a few amounts typed with full-width digits, "/" where a stage has not been reached,
a 备注 column the dataset does not publish and a 合计 row. (备注 stands before the merged groups: after them,
gongkai's header detection of the time read a three-row header, taking the first data row for one.) Each procurement serves one poverty project
(资金项目编号 = ``poverty-projects.project_id``), so the contracts hang under the projects in ``gongkai flows``.

Planted: ``OVER_BUDGET`` signs a contract above its budget (a warning of the suite); ``OVER_FUNDS`` contracts
more than its project has from every level (``gongkai flows reconcile``: contract-above-funds). The dates follow
the rules' order: 意向公开 at least 30 days before the 采购公告 (财库〔2020〕10号), contract within 30 days of the
award (政府采购法 第四十六条), contract notice within 2 working days of signing (政府采购法实施条例 第五十条).
Fixed seed: the same file on every run. Suppliers are companies (统一社会信用代码 prefix 91, valid check characters).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # generate.py normally does this
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_poverty import COUNTIES, projects

SEED = 20251203
YEAR = 2025
FIXED = dt.datetime(2025, 11, 20, 9, 0, 0)
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
METHODS = ["公开招标", "竞争性磋商", "询价", "竞争性谈判", "单一来源采购"]
SUPPLIERS = [  # (name, region code of registration)
    ("云南滇中路桥建设工程有限公司", "530102"), ("曲靖市麒麟建筑工程有限公司", "530302"),
    ("宣威市兴农农业科技有限公司", "530381"), ("会泽县鑫源水利工程有限公司", "530326"),
    ("陆良县绿野种养殖专业合作社", "530322"), ("个旧市锡都建设有限公司", "532501"),
    ("蒙自市红土地农业开发有限公司", "532503"), ("香格里拉市高原牧业有限公司", "533401"),
    ("德钦县梅里建设工程有限公司", "533422"), ("维西县澜沧江水务有限公司", "533423"),
    ("云南彩云职业技能培训学校有限公司", "530103"), ("昆明市官渡区通达市政工程有限公司", "530111"),
]
OVER_BUDGET = f"YNCG-{YEAR}-530322-01"   # contract above its budget (suite warning)
OVER_FUNDS = f"YNCG-{YEAR}-533401-01"    # contracts more than the project has (flows reconcile)
HEADER = ["采购项目编号", "年度", "公告阶段", "采购项目名称", "采购人", "行政区划代码", "资金项目编号", "预算金额",
          "采购方式", "意向公开日期", "采购公告日期"]
AWARD = ["供应商名称", "统一社会信用代码", "中标(成交)金额", "中标(成交)公告日期"]
CONTRACT = ["合同编号", "合同金额", "签订日期", "合同公告日期"]


def uscc(rng: random.Random, region: str) -> str:
    body = "91" + region + "".join(rng.choice(USCC_CHARS) for _ in range(9))
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_CHARS[(31 - total % 31) % 31]


def procurements() -> list[dict[str, object]]:
    """One procurement per poverty project (most reach a contract), amounts in 万元, in a fixed order."""
    rng = random.Random(SEED)
    codes = {name: uscc(rng, region) for name, region in SUPPLIERS}
    rows: list[dict[str, object]] = []
    counters: dict[str, int] = {}
    for p in projects():
        county = str(p["行政区划代码"])
        if county not in COUNTIES:
            continue
        counters[county] = counters.get(county, 0) + 1
        no = f"YNCG-{YEAR}-{county}-{counters[county]:02d}"
        central, total = round(float(p["中央"]) * 100), round(float(p["资金规模"]) * 100)  # type: ignore[arg-type]
        budget = central * rng.randint(85, 100) // 100
        stage = rng.choices(["合同", "采购结果", "采购意向"], [7, 1, 1])[0]
        if no in (OVER_BUDGET, OVER_FUNDS):
            stage = "合同"
        award = budget * rng.randint(88, 99) // 100
        contract = award
        if no == OVER_BUDGET:
            budget = central * 80 // 100
            contract = award = budget + 300  # 3.00 万元 above the budget, still within the central money
        if no == OVER_FUNDS:
            budget = award = contract = total + 800  # 8.00 万元 more than the project has from every level
        intent = dt.date(YEAR, rng.randint(2, 4), rng.randint(1, 28))
        notice = intent + dt.timedelta(days=rng.randint(30, 45))
        awarded = notice + dt.timedelta(days=rng.randint(20, 30))
        signed = awarded + dt.timedelta(days=rng.randint(5, 25))
        published = signed + dt.timedelta(days=1 if signed.weekday() < 4 else 7 - signed.weekday())
        supplier = rng.choice(SUPPLIERS)[0]
        row: dict[str, object] = {
            "采购项目编号": no, "年度": YEAR, "公告阶段": stage, "采购项目名称": f"{p['项目名称']}采购项目",
            "采购人": p["实施单位"], "行政区划代码": county, "资金项目编号": p["项目编号"], "预算金额": budget / 100,
            "采购方式": rng.choice(METHODS), "意向公开日期": intent, "采购公告日期": notice,
            "供应商名称": "/", "统一社会信用代码": "/", "中标(成交)金额": "/", "中标(成交)公告日期": "/",
            "合同编号": "/", "合同金额": "/", "签订日期": "/", "合同公告日期": "/",
            "备注": rng.choice(["", "", "专门面向中小企业采购", "预留份额 40%"]),
        }
        if stage != "采购意向":
            row.update({"供应商名称": supplier, "统一社会信用代码": codes[supplier], "中标(成交)金额": award / 100,
                        "中标(成交)公告日期": awarded})
        if stage == "合同":
            row.update({"合同编号": f"HT-{no[5:]}", "合同金额": contract / 100, "签订日期": signed,
                        "合同公告日期": published})
        rows.append(row)
    return rows


def _messy(rng: random.Random, v: object) -> object:
    """How clerks type: dates as date cells or two kinds of text, an amount now and then in full-width digits."""
    if isinstance(v, dt.date):
        return rng.choice([v, v, f"{v.year}年{v.month}月{v.day}日", f"{v.year}/{v.month}/{v.day}"])
    if isinstance(v, float) and rng.random() < 0.1:
        return f"{v:.2f}".translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    return v


def write_xlsx(rows: list[dict[str, object]], path: Path) -> None:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    rng = random.Random(SEED + 1)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "政府采购"
    order = [*HEADER, "备注", *AWARD, *CONTRACT]  # 备注 before the merged groups (see _layout)
    ws.cell(1, 1, f"{YEAR}年度财政专项扶贫资金项目政府采购情况表").font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(order))
    ws.cell(2, 1, "填报单位：云南省财政厅（汇总各县采购意向、中标（成交）结果和合同公告）")
    ws.cell(2, len(order) - 1, "单位：万元")
    col = 1
    for group, subs in [*((h, []) for h in [*HEADER, "备注"]), ("中标(成交)信息", AWARD), ("合同信息", CONTRACT)]:
        ws.cell(3, col, group)
        if subs:
            ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + len(subs) - 1)
            for j, s in enumerate(subs):
                ws.cell(4, col + j, s)
        else:
            ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
        col += len(subs) or 1
    for r in rows:
        ws.append([_messy(rng, r[k]) for k in order])
    for row in ws.iter_rows(min_row=5):
        for c in row:
            if isinstance(c.value, dt.date):
                c.number_format = "yyyy-mm-dd"
    money = ["预算金额", "中标(成交)金额", "合同金额"]
    ws.append([("合计" if k == "采购项目编号" else round(sum(float(r[k]) for r in rows if r[k] != "/"), 2)  # type: ignore[arg-type]
                if k in money else None) for k in order])
    for c in ws[3] + ws[4]:
        c.alignment = Alignment(horizontal="center", vertical="center")
    wb.properties.created = wb.properties.modified = FIXED
    wb.properties.creator = "云南省财政厅"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def generate(out: Path) -> list[Path]:
    path = out / "government-procurement" / f"{YEAR}年扶贫项目政府采购情况.xlsx"
    write_xlsx(procurements(), path)
    return [path]


if __name__ == "__main__":
    for p in generate(Path(__file__).resolve().parent):
        print(p)
