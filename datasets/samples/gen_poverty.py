"""Sample source of ``poverty-projects`` (扶贫项目公告公示), and the project list the allocation sample links to.

One XLSX per county as its 乡村振兴局 publishes it (国开办发〔2017〕50号), in the folder of that agency's CKAN
organization (``poverty-projects/<organization>/``, from ``datasets/agencies/xiangcun-zhenxing.yaml``): the dataset
is partitioned by county and assembled by the province. Each file has a title row, a 填报单位 / 单位：万元 note, a
two-row merged header (资金来源 over 中央 / 省 / 市 / 县, 实施期限 over 开始 / 结束, 资金使用情况 over 实际支出 /
结余) and a 合计 row. The 中央 column is what 财政专项扶贫资金 gave each project; ``generate.allocations`` makes the
allocation tree down to these projects. Planted for the fund-flow checks (``gongkai flows reconcile``): one project
spent more than it had (结余 negative) and one project records central money that no allocation gives it.

Fixed seed and dates: the file is the same on every run. No natural person other than the officials responsible
(责任人, published by rule) appears; 举报电话 are 12317 or office landlines.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # generate.py normally does this
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import COUNTY_NAMES, _landline, _name, agency_folders, by_county

SEED = 20251127
YEAR = 2025
FIXED = dt.datetime(2025, 11, 5, 9, 0, 0)
# counties with poverty projects in the sample (all in generate.PREFECTURES)
COUNTIES = ["530322", "530326", "530381", "532501", "532503", "533401", "533422", "533423"]
AREA_CODES = {"5303": "0874", "5325": "0873", "5334": "0887"}
TOWNS = ["城关镇", "新街镇", "龙泉镇", "大河乡", "白石乡", "金沙乡"]
VILLAGES = ["新民村", "团结村", "和平村", "红旗村", "大坪村", "小河村", "石门村", "向阳村"]
OVERSPENT = f"PP{YEAR}-530326-02"      # 结余 < 0: spent more than the project had
UNALLOCATED = f"PP{YEAR}-533422-02"    # records 中央 money, but no allocation of the fund reaches it
# (kind, name, task template, standard, unit, implementing unit suffix, target)
KINDS = [
    ("道路", "{v}村组道路硬化", "硬化村组道路 {q} 公里", "每公里补助 {s} 万元", (40, 60), "交通运输局",
     "解决 {h} 户群众出行难"),
    ("饮水", "{v}农村饮水安全巩固提升", "新建蓄水池 {q} 座，铺设管网 {k} 公里", "按工程预算补助", (8, 15), "水务局",
     "巩固提升 {h} 户饮水安全"),
    ("种植", "{v}高原特色蔬菜种植", "新建蔬菜大棚 {q} 个", "每个大棚补助 {s} 万元", (1, 3), "农业农村局",
     "带动脱贫户 {h} 户，户均增收 2000 元以上"),
    ("养殖", "{v}肉牛养殖产业扶贫", "购买能繁母牛 {q} 头", "每头补助 {s} 万元", (1, 1), "农业农村局",
     "带动脱贫户 {h} 户，户均增收 3000 元以上"),
    ("培训", "{v}脱贫劳动力技能培训", "开展技能培训 {q} 人次", "每人次补助 {s} 万元", (0, 0), "人力资源和社会保障局",
     "培训后转移就业 {h} 人以上"),
]
RESULTS = ["已完工", "实施中", "未开工"]


def projects() -> list[dict[str, object]]:
    """The projects with Chinese headers and amounts in 万元 (two decimals), in a fixed order."""
    rng = random.Random(SEED)
    rows: list[dict[str, object]] = []
    for code in COUNTIES:
        county = COUNTY_NAMES[code]
        for n in range(1, rng.randint(3, 5) + 1):
            kind, name, task, standard, (lo, hi), unit, target = rng.choice(KINDS)
            town, village = rng.choice(TOWNS), rng.choice(VILLAGES)
            q = rng.randint(2, 12) if kind in ("道路", "饮水") else rng.randint(20, 150)
            s = rng.randint(lo, hi) if hi else 0.15
            cents = {"central": rng.randint(3_000, 40_000), "province": rng.randint(0, 10_000),
                     "city": rng.choice([0, rng.randint(500, 3_000)]), "county": rng.randint(0, 2_000)}
            total = sum(cents.values())
            result = rng.choices(RESULTS, [6, 3, 1])[0]
            if result == "已完工":
                spent = total if rng.random() < 0.7 else total * rng.randint(90, 99) // 100
            else:
                spent = total * rng.randint(20, 80) // 100 if result == "实施中" else 0
            pid = f"PP{YEAR}-{code}-{n:02d}"
            if pid == OVERSPENT:
                result, spent = "已完工", total + 360  # 3.60 万元 more than the project had
            start = dt.date(YEAR, rng.randint(3, 6), rng.randint(1, 28))
            end = start + dt.timedelta(days=rng.randint(90, 270))
            acceptance = rng.choice(["验收合格", "验收合格", "整改后合格"]) if result == "已完工" else "未验收"
            rows.append({
                "项目编号": pid, "年度": YEAR, "项目名称": f"{county}{town}" + name.format(v=village),
                "实施地点": f"{county}{town}{village}", "行政区划代码": code,
                "建设任务": task.format(q=q, k=rng.randint(3, 20)),
                "补助标准": standard.format(s=s),
                "中央": cents["central"] / 100, "省": cents["province"] / 100, "市": cents["city"] / 100,
                "县": cents["county"] / 100, "资金规模": total / 100,
                "开始日期": start, "结束日期": end,
                "实施单位": f"{county}{unit}" if kind != "培训" or rng.random() < 0.5 else f"{county}{town}人民政府",
                "责任人": _name(rng), "绩效目标": target.format(h=rng.randint(15, 300)),
                "实际支出": spent / 100, "结余": (total - spent) / 100,
                "实施结果": result, "检查验收结果": acceptance,
                "举报电话": "12317" if rng.random() < 0.6 else _landline(rng, AREA_CODES[code[:4]]),
            })
    return rows


def write_xlsx(rows: list[dict[str, object]], path: Path, agency: str = "云南省乡村振兴局（汇总）", county: str = "") -> None:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "扶贫项目"
    singles = ["项目编号", "年度", "项目名称", "实施地点", "行政区划代码", "建设任务", "补助标准"]
    layout: list[tuple[str, list[str]]] = [
        *[(h, []) for h in singles], ("资金来源", ["中央", "省", "市", "县"]), ("资金规模", []),
        ("实施期限", ["开始日期", "结束日期"]), ("实施单位", []), ("责任人", []), ("绩效目标", []),
        ("资金使用情况", ["实际支出", "结余"]), ("实施结果", []), ("检查验收结果", []), ("举报电话", []),
    ]
    order = [h for group, subs in layout for h in (subs or [group])]
    ws.cell(1, 1, f"{county}{YEAR}年度财政专项扶贫资金项目公告公示表").font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(order))
    ws.cell(2, 1, f"填报单位：{agency}")
    ws.cell(2, len(order) - 1, "单位：万元")
    col = 1
    for group, subs in layout:
        ws.cell(3, col, group)
        if subs:
            ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + len(subs) - 1)
            for j, s in enumerate(subs):
                ws.cell(4, col + j, s)
        else:
            ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
        col += len(subs) or 1
    for r in rows:
        ws.append([r[k] for k in order])
    for name in ("开始日期", "结束日期"):
        for row in ws.iter_rows(min_row=5, min_col=order.index(name) + 1, max_col=order.index(name) + 1):
            for c in row:
                c.number_format = "yyyy-mm-dd"
    money = ["中央", "省", "市", "县", "资金规模", "实际支出", "结余"]
    ws.append([("合计" if k == "项目编号" else round(sum(float(r[k]) for r in rows), 2) if k in money else None)  # type: ignore[arg-type]
               for k in order])
    for c in ws[3] + ws[4]:
        c.alignment = Alignment(horizontal="center", vertical="center")
    wb.properties.created = wb.properties.modified = FIXED
    wb.properties.creator = agency
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def generate(out: Path) -> list[Path]:
    folders = agency_folders("xiangcun-zhenxing")
    made = []
    for code, rows in by_county(projects()).items():
        org, agency = folders[code]
        path = out / "poverty-projects" / org / f"{YEAR}年财政专项扶贫资金项目公告公示（{COUNTY_NAMES[code]}）.xlsx"
        write_xlsx(rows, path, agency, COUNTY_NAMES[code])
        made.append(path)
    return made


if __name__ == "__main__":
    for p in generate(Path(__file__).resolve().parent):
        print(p)
