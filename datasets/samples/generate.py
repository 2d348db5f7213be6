"""Deterministic generator of the bundled sample sources (fixed seed: the same files every run).

    python datasets/samples/generate.py            # rewrite the samples in place
    python datasets/samples/generate.py --out DIR  # write them elsewhere (tests compare the two)

The partitioned datasets' sources are one file per county, in the folder of the CKAN organization that submits
it (``<dataset>/<organization>/<file>``, each agency's inbox): the organizations come from the agency registries
in ``datasets/agencies/``, so a file and the registry never disagree.

The files imitate what agencies really send: a titled XLSX with a unit note, a two-row merged header and a
合计 row; a GBK CSV in 万元 with thousands separators; a UTF-8-with-BOM CSV with full-width digits and "/"; and
the internal rosters behind recipient notices, full of (fake, checksum-valid) ID, phone and bank card numbers
and home addresses, which the privacy gate must keep out of every published file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20251125
YEAR = 2025

PREFECTURES = {
    "530100": ("昆明市", ["530102", "530103", "530111", "530112", "530114", "530181"]),
    "530300": ("曲靖市", ["530302", "530303", "530322", "530326", "530381"]),
    "532900": ("大理白族自治州", ["532901"]),
    "533400": ("迪庆藏族自治州", ["533401", "533422", "533423"]),
    "532500": ("红河哈尼族彝族自治州", ["532501", "532502", "532503"]),
}
COUNTY_NAMES = {
    "530102": "五华区", "530103": "盘龙区", "530111": "官渡区", "530112": "西山区", "530114": "呈贡区",
    "530181": "安宁市", "530302": "麒麟区", "530303": "沾益区", "530322": "陆良县", "530326": "会泽县",
    "530381": "宣威市", "532901": "大理市", "533401": "香格里拉市", "533422": "德钦县", "533423": "维西傈僳族自治县",
    "532501": "个旧市", "532502": "开远市", "532503": "蒙自市",
}
CIVIL = {
    "老年人福利类": ["{c}社区居家养老服务中心建设", "{c}农村互助养老服务设施改造", "{c}敬老院适老化改造"],
    "残疾人福利类": ["{c}残疾人康复中心设备购置", "{c}残疾儿童康复救助", "{c}精神障碍社区康复服务"],
    "儿童福利类": ["{c}儿童福利机构养育服务提升", "{c}困境儿童关爱保护", "{c}未成年人救助保护中心建设"],
    "社会公益类": ["{c}社会工作服务站建设", "{c}殡葬设施公益性改造", "{c}慈善超市运营补助"],
}
SPORT = {
    "群众体育": ["{c}全民健身路径更新", "{c}社区多功能运动场建设", "{c}全民健身赛事活动"],
    "竞技体育": ["{c}青少年体育后备人才培养", "{c}省级单项锦标赛承办"],
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _landline(rng: random.Random, code: str = "0871") -> str:
    return f"{code}-{rng.randint(60000000, 69999999)}"


def agency_folders(registry: str) -> dict[str, tuple[str, str]]:
    """County code → (organization, title) of the county-level agencies of ``datasets/agencies/<registry>.yaml``."""
    import yaml

    raw = yaml.safe_load((HERE.parent / "agencies" / f"{registry}.yaml").read_text(encoding="utf-8"))
    return {a["region"]: (a["organization"], a["title"]) for a in raw["agencies"]
            if not a["region"].endswith("00")}


def lottery_projects(rng: random.Random) -> list[dict[str, object]]:
    rows = []
    counties = list(COUNTY_NAMES)
    for i in range(1, 121):
        line = "民政" if i <= 80 else "体育"
        cat = rng.choice(list(CIVIL if line == "民政" else SPORT))
        region = rng.choice(counties)
        county = COUNTY_NAMES[region]
        name = rng.choice((CIVIL if line == "民政" else SPORT)[cat]).format(c=county)
        allocated = rng.randint(2000, 50000)  # 0.01 万元 units: 20.00–500.00 万元
        status = rng.choices(["已完成", "实施中", "未启动"], [6, 3, 1])[0]
        spent = allocated if status == "已完成" and rng.random() < 0.6 else (
            0 if status == "未启动" else rng.randint(allocated // 3, allocated))
        start = dt.date(YEAR, rng.randint(1, 6), rng.randint(1, 28))
        end = start + dt.timedelta(days=rng.randint(120, 540))
        rows.append({
            "项目编号": f"CP{YEAR}-{i:04d}", "年度": YEAR, "资金类别": line, "项目类别": cat, "项目名称": name,
            "项目主要内容": f"{name}，惠及群众约{rng.randint(2, 80) * 100}人", "实施单位": f"{county}{'民政局' if line == '民政' else '文化和旅游体育局'}",
            "行政区划代码": region, "开始日期": start, "结束日期": end,
            "下达资金": allocated / 100, "实际支出": spent / 100, "结余": (allocated - spent) / 100,
            "项目负责人": _name(rng), "联系电话": _landline(rng), "完成情况": status,
            "实际效果": "/" if status == "未启动" else rng.choice(["按期完成建设任务", "服务对象满意度 95% 以上", "设施已投入使用", "正在按计划推进"]),
        })
    return rows


# the two fund lines, each disclosed by its own department (彩票公益金管理办法 财综〔2021〕18号): dataset, registry,
# fund line of the rows, the line's name
LOTTERY_LINES = [("lottery-welfare-projects", "minzheng", "民政", "福利彩票公益金"),
                 ("sports-lottery-projects", "tiyu", "体育", "体育彩票公益金")]


def welfare_lottery(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """The 福彩 (民政) projects of :func:`lottery_projects`: the rows of ``lottery-welfare-projects``."""
    return [r for r in rows if r["资金类别"] == "民政"]


def by_county(rows: list[dict[str, object]], field: str = "行政区划代码") -> dict[str, list[dict[str, object]]]:
    out: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        out.setdefault(str(r[field]), []).append(r)
    return dict(sorted(out.items()))


def write_lottery_files(projects: list[dict[str, object]], out: Path) -> list[Path]:
    """Each fund line's projects, one workbook per county in its agency's folder."""
    made = []
    for dataset, registry, line, name in LOTTERY_LINES:
        folders = agency_folders(registry)
        for code, rows in by_county([r for r in projects if r["资金类别"] == line]).items():
            org, agency = folders[code]
            county = COUNTY_NAMES[code]
            path = out / dataset / org / f"{YEAR}年{name}资助项目（{county}）.xlsx"
            write_lottery_xlsx(rows, path, f"{county}{YEAR}年度{name}资助项目情况表", agency)
            made.append(path)
    return made


def write_lottery_xlsx(rows: list[dict[str, object]], path: Path,
                       title: str = f"{YEAR}年度省本级彩票公益金资助项目情况表", agency: str = "省财政厅") -> None:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "资助项目"
    singles = ["项目编号", "年度", "资金类别", "项目类别", "项目名称", "项目主要内容", "实施单位", "行政区划代码"]
    groups = [("项目周期", ["开始日期", "结束日期"]), ("资金情况", ["下达资金", "实际支出", "结余"])]
    tail = ["项目负责人", "联系电话", "完成情况", "实际效果"]
    width = len(singles) + 5 + len(tail)
    ws.cell(1, 1, title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(2, 1, f"填报单位：{agency}")
    ws.cell(2, width - 1, "单位：万元")
    col = 1
    for h in singles:
        ws.cell(3, col, h)
        ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
        col += 1
    for group, subs in groups:
        ws.cell(3, col, group)
        ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + len(subs) - 1)
        for j, s in enumerate(subs):
            ws.cell(4, col + j, s)
        col += len(subs)
    for h in tail:
        ws.cell(3, col, h)
        ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
        col += 1
    order = [*singles, "开始日期", "结束日期", "下达资金", "实际支出", "结余", *tail]
    for r in rows:
        ws.append([r[k] for k in order])
    for row in ws.iter_rows(min_row=5, min_col=9, max_col=10):
        for c in row:
            c.number_format = "yyyy-mm-dd"
    total = ["合计", None, None, None, None, None, None, None, None, None,
             round(sum(r["下达资金"] for r in rows), 2), round(sum(r["实际支出"] for r in rows), 2),  # type: ignore[misc]
             round(sum(r["结余"] for r in rows), 2), None, None, None, None]  # type: ignore[misc]
    ws.append(total)
    for c in ws[3] + ws[4]:
        c.alignment = Alignment(horizontal="center", vertical="center")
    fixed = dt.datetime(YEAR, 11, 1, 9, 0, 0)
    wb.properties.created = wb.properties.modified = fixed
    wb.properties.creator = agency
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


FUNDS = [("中央专项彩票公益金", "财社〔2025〕45号", "云财社〔2025〕", "LT"),
         ("财政专项扶贫资金", "财农〔2025〕12号", "云财农〔2025〕", "PA")]
ALLOCATION_SEED = 20251128
# planted for the fund-flow checks: 宣威市 receives 12.50 万元 of 财政专项扶贫资金 that it allocates to no project
UNASSIGNED = ("PA", "530381", 1_250)


def allocations(projects: list[dict[str, object]], poverty: list[dict[str, object]],
                unallocated: str) -> list[dict[str, object]]:
    """Two funds, each a tree 中央 → 省 → 市 → 县 → 项目 built from the projects up, so every level adds up:
    中央专项彩票公益金 gives each lottery project its 下达资金, 财政专项扶贫资金 each poverty project its 中央 share
    (except ``unallocated``, which records central money no allocation gives it). See ``UNASSIGNED``."""
    rng = random.Random(ALLOCATION_SEED)
    leaves = {"LT": [(p, round(float(p["下达资金"]) * 100)) for p in projects],  # type: ignore[arg-type]
              "PA": [(p, round(float(p["中央"]) * 100)) for p in poverty if p["项目编号"] != unallocated]}  # type: ignore[arg-type]
    rows: list[dict[str, object]] = []
    for fund, central_doc, prov_doc, tag in FUNDS:
        by_county: dict[str, list[tuple[dict[str, object], int]]] = {}
        for p, cents in leaves[tag]:
            by_county.setdefault(str(p["行政区划代码"]), []).append((p, cents))
        extra = {UNASSIGNED[1]: UNASSIGNED[2]} if tag == UNASSIGNED[0] else {}
        county_sum = {c: sum(x for _, x in ps) + extra.get(c, 0) for c, ps in by_county.items()}
        pref_sum = {pc: sum(county_sum.get(c, 0) for c in cs) for pc, (_, cs) in PREFECTURES.items()}
        d0 = dt.date(YEAR, 1, rng.randint(10, 25))
        pid = f"FP{YEAR}-{tag}-530000"
        rows.append(_alloc(pid, fund, "省", None, "财政部", "云南省财政厅", "530000", None, sum(pref_sum.values()),
                           "中央下达", central_doc, d0))
        for k, (pcode, (pname, counties)) in enumerate(PREFECTURES.items(), start=1):
            if not pref_sum[pcode]:
                continue
            d1 = d0 + dt.timedelta(days=rng.randint(10, 30))
            cid = f"FP{YEAR}-{tag}-{pcode}"
            rows.append(_alloc(cid, fund, "市", pid, "云南省财政厅", f"{pname}财政局", pcode, None, pref_sum[pcode],
                               "切块下达州市", f"{prov_doc}{10 + k}号", d1))
            for code in (c for c in counties if c in by_county):
                d2 = d1 + dt.timedelta(days=rng.randint(5, 20))
                kid = f"FP{YEAR}-{tag}-{code}"
                rows.append(_alloc(kid, fund, "县", cid, f"{pname}财政局", f"{COUNTY_NAMES[code]}财政局", code, None,
                                   county_sum[code], "分配到县", f"{pname[:2]}财〔{YEAR}〕{rng.randint(20, 90)}号", d2))
                for n, (p, cents) in enumerate(by_county[code], start=1):
                    rows.append(_alloc(f"{kid}-{n:02d}", fund, "项目", kid, f"{COUNTY_NAMES[code]}财政局",
                                       str(p["实施单位"]), code, str(p["项目编号"]), cents, str(p["项目名称"]),
                                       f"{COUNTY_NAMES[code][:2]}财〔{YEAR}〕{rng.randint(100, 200)}号",
                                       d2 + dt.timedelta(days=rng.randint(3, 15))))
    return rows


def _replay_first_allocation_draws(rng: random.Random, projects: list[dict[str, object]]) -> None:
    """The samples written after the allocations (facilities, rosters …) were drawn from ``rng`` following the
    first allocation generator's draws: replay those draws so the files stay the same (the allocations now have a
    random generator of their own)."""
    for tag in ("LT", "PA"):
        rng.randint(800_000, 1_200_000), rng.randint(10, 25), rng.randint(70, 85)
        for _, counties in PREFECTURES.values():
            rng.randint(10, 30), rng.randint(80, 95)
            for code in counties:
                rng.randint(5, 20), rng.randint(20, 90)
                here = [p for p in projects if p["行政区划代码"] == code]
                for _ in (here[:2] if tag == "PA" else [p for p in here if p["资金类别"] == "民政"][:3]):
                    rng.randint(60, 100), rng.randint(100, 200), rng.randint(3, 15)


def _poverty() -> tuple[list[dict[str, object]], str]:
    """The poverty projects of ``gen_poverty.py`` (the allocation tree reaches down to them)."""
    import sys

    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    import gen_poverty

    return gen_poverty.projects(), gen_poverty.UNALLOCATED


def _alloc(aid: str, fund: str, level: str, parent: str | None, frm: str, to: str, region: str, project: str | None,
           cents: int, purpose: str, doc: str, date: dt.date) -> dict[str, object]:
    return {"分配编号": aid, "资金名称": fund, "年度": YEAR, "层级": level, "上级分配编号": parent or "",
            "拨出单位": frm, "接收单位": to, "接收地区代码": region, "项目编号": project or "",
            "金额（万元）": f"{cents / 100:,.2f}", "资金用途": purpose, "文号": doc, "下达日期": f"{date.year}年{date.month}月{date.day}日"}


def new_workbook(sheet: str, stamp: dt.datetime):  # type: ignore[no-untyped-def]
    """An empty workbook whose timestamps are ``stamp``, so the saved file is the same bytes on every run."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.creator = "gongkai sample generator"
    return wb, ws


def write_csv(rows: list[dict[str, object]], path: Path, encoding: str) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))


FACILITY_KINDS = [
    ("文化", "公共图书馆", "图书馆", "周二至周日 9:00-17:00", 48, "图书借阅、电子阅览、少儿阅读"),
    ("文化", "文化馆", "文化馆", "周二至周日 9:00-12:00 / 14:00-17:30", 39, "艺术培训、展览、群众文艺活动"),
    ("文化", "博物馆", "博物馆", "周二至周日 9:00-17:00（16:30 停止入馆）", 45, "基本陈列、临时展览、讲解"),
    ("文化", "乡镇综合文化站", "综合文化站", "周一至周五 8:30-17:30", 45, "读书看报、文体活动"),
    ("体育", "体育馆", "体育馆", "夏季 8:00-12:00 / 14:00-21:00；冬季 9:00-12:00 / 14:00-20:00", 63, "篮球、羽毛球、乒乓球"),
    ("体育", "全民健身中心", "全民健身中心", "每天 6:30-22:00", 108, "健身、游泳、球类"),
    ("体育", "社区健身广场", "健身广场", "全天开放", 168, "健身路径、广场舞"),
]


def facilities(rng: random.Random) -> list[dict[str, object]]:
    rows = []
    n = 0
    for code, county in COUNTY_NAMES.items():
        for cat, typ, suffix, hours, weekly, items in rng.sample(FACILITY_KINDS, 3):
            n += 1
            phone = _landline(rng) if rng.random() < 0.7 else "/"
            if rng.random() < 0.3 and phone != "/":
                phone = phone.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
            suspension = rng.choice(["/", "/", "/", f"{YEAR}年{rng.randint(1, 12)}月起闭馆改造，预计三个月"])
            rows.append({
                "设施编号": f"WT{code}-{n:03d}", "机构名称": f"{county}{suffix}", "类别": cat, "类型": typ,
                "行政区划代码": code, "地址": f"{county}{rng.choice(['人民路', '建设路', '文化路', '体育路'])}{rng.randint(1, 300)}号",
                "开放时间": hours, "每周开放时长": weekly, "开放项目": items, "是否免费开放": rng.choice(["是", "是", "否"]),
                "联系电话": phone, "管理单位": f"{county}{'文化和旅游局' if cat == '文化' else '教育体育局'}", "临时停止开放信息": suspension,
            })
    return rows


# -- personal data (fake, but with valid check digits) -------------------------------------------------------

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# current and abolished county codes: an ID keeps the code of where and when it was issued
ID_REGIONS = ["533421", "533401", "533422", "533423", "532122", "530102", "530121", "530111", "532901", "511102"]
TOWNS = {"建塘镇": ["尼史村", "红坡村", "解放村", "北门社区", "金龙社区"],
         "小中甸镇": ["和平村", "联合村", "团结村"], "虎跳峡镇": ["桥头村", "哈巴村", "江边村", "宝山村"]}


def person_id(rng: random.Random, born: dt.date) -> str:
    body = f"{rng.choice(ID_REGIONS)}{born:%Y%m%d}{rng.randint(1, 999):03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}"


def bank_card(rng: random.Random) -> str:
    body = "6217" + "".join(str(rng.randint(0, 9)) for _ in range(14))
    total = 0
    for i, ch in enumerate(reversed(body)):  # Luhn: the check digit makes the sum a multiple of 10
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


# the other counties whose rosters are bundled: code → (county, towns and villages, file format); 香格里拉市's
# (TOWNS) is drawn from the main random generator, each of these from its own
ROSTER_COUNTIES = {
    "533422": ("德钦县", {"升平镇": ["阿东村", "巨水村", "南坪社区"], "奔子栏镇": ["奔子栏村", "书松村"],
                         "云岭乡": ["西当村", "雨崩村"]}, "xlsx"),
    "533423": ("维西傈僳族自治县", {"保和镇": ["兰永社区", "犁地坪村", "拉日村"], "叶枝镇": ["叶枝村", "同乐村"],
                                   "塔城镇": ["塔城村", "启别村"]}, "csv"),
}


def home(rng: random.Random, town: str, village: str, county: str = "香格里拉市") -> str:
    return f"{county}{town}{village}{rng.randint(1, 12)}组{rng.randint(1, 80)}号"


def dibao_roster(rng: random.Random, code: str = "533401",
                 towns: dict[str, list[str]] | None = None) -> list[dict[str, object]]:
    """One county's internal roster: every recipient's ID, phone, address and bank card beside what is published."""
    rows = []
    n = 0
    county = COUNTY_NAMES[code]
    for town, villages in (towns or TOWNS).items():
        for village in villages:
            for _ in range(rng.randint(2, 9)):
                n += 1
                persons = rng.randint(1, 6)
                urban = village.endswith("社区")
                rows.append({
                    "公示编号": f"DB{YEAR}-{code}-{n:04d}", "县级区划代码": code, "乡镇（街道）": town, "村（社区）": village,
                    "户主姓名": _name(rng), "身份证号码": person_id(rng, dt.date(rng.randint(1940, 2000), rng.randint(1, 12), rng.randint(1, 28))),
                    "联系电话": mobile(rng), "家庭住址": home(rng, town, village, county), "银行账号": bank_card(rng),
                    "保障类别": "城市低保" if urban else "农村低保", "保障人数": persons,
                    "月保障金额（元）": round(persons * (730.06 if urban else 512.35), 2),
                    "备注": rng.choice(["", "", "新纳入", f"{YEAR}年7月起调整保障金额", "重病患者"]),
                })
    return rows


def write_rosters(xianggelila: list[dict[str, object]], out: Path) -> list[Path]:
    """Each county's roster in its 民政局's folder: 香格里拉市 and 德钦县 as titled workbooks, 维西县 as a GBK CSV
    whose headers are its own (户主身份证号, 手机)."""
    folders = agency_folders("minzheng")
    made = []
    rosters = {"533401": ("xlsx", xianggelila)}
    for code, (_, towns, kind) in ROSTER_COUNTIES.items():
        rosters[code] = (kind, dibao_roster(random.Random(f"{SEED}/dibao-recipients/{code}"), code, towns))
    for code, (kind, rows) in rosters.items():
        org, county = folders[code][0], COUNTY_NAMES[code]
        path = out / "dibao-recipients" / org / f"{YEAR}年9月低保对象名册（{county}）.{kind}"
        if kind == "xlsx":
            write_xlsx(rows, path, "低保对象", f"{county}{YEAR}年9月城乡低保对象名册（内部）")
        else:
            renamed = {"身份证号码": "户主身份证号", "联系电话": "手机"}
            write_csv([{renamed.get(k, k): v for k, v in r.items()} for r in rows], path, "gbk")
        made.append(path)
    return made


def write_xlsx(rows: list[dict[str, object]], path: Path, sheet: str, title: str) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([title])
    ws.append(list(rows[0]))
    for r in rows:
        ws.append(list(r.values()))
    wb.properties.created = wb.properties.modified = dt.datetime(YEAR, 11, 1, 9, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def student_aid(rng: random.Random) -> list[dict[str, object]]:
    rows = []
    schools = ["香格里拉市第一中学", "香格里拉市第二中学", "迪庆州民族中学", "香格里拉市职业高级中学"]
    for n in range(1, 61):
        born = dt.date(rng.randint(2007, 2010), rng.randint(1, 12), rng.randint(1, 28))
        programme, level, amount = rng.choice([("国家助学金", "一档", 2500), ("国家助学金", "二档", 2000),
                                               ("国家助学金", "三档", 1000), ("免学费", "", 2400)])
        town = rng.choice(list(TOWNS))
        rows.append({
            "公示编号": f"XZ{YEAR}-{n:05d}", "学校名称": rng.choice(schools), "学年": f"{YEAR}-{YEAR + 1}",
            "年级": rng.choice(["高一", "高二", "高三"]), "班级": f"{rng.randint(1, 8)}班", "学生姓名": _name(rng),
            "性别": rng.choice("男女"), "身份证件号码": person_id(rng, born), "出生日期": born.isoformat(),
            "家庭住址": home(rng, town, rng.choice(TOWNS[town])), "家长电话": mobile(rng),
            "资助项目": programme, "资助档次": level or "/", "资助金额": amount,
        })
    return rows


def relief(rng: random.Random) -> list[dict[str, object]]:
    rows = []
    n = 0
    for town, villages in TOWNS.items():
        for village in rng.sample(villages, 2):
            for _ in range(rng.randint(3, 6)):
                n += 1
                kind = rng.choice(["应急救助", "过渡期生活救助", "倒损住房恢复重建"])
                rows.append({
                    "公示编号": f"JZ{YEAR}-{n:05d}", "县级区划代码": "533401", "乡镇（街道）": town, "村（社区）": village,
                    "户主姓名": _name(rng), "身份证号码": person_id(rng, dt.date(rng.randint(1945, 2000), rng.randint(1, 12), rng.randint(1, 28))),
                    "联系电话": mobile(rng), "家庭住址": home(rng, town, village), "一卡通账号": bank_card(rng),
                    "灾害类型": rng.choice(["洪涝", "地质灾害", "风雹"]), "救助类别": kind,
                    "救助金额（元）": {"应急救助": 1500, "过渡期生活救助": 1800, "倒损住房恢复重建": 20000}[kind],
                    "救助物资": rng.choice(["大米 50 公斤、棉被 2 床", "帐篷 1 顶", "/", "食用油 10 升"]),
                    "发放日期": f"{YEAR}-{rng.randint(7, 9):02d}-{rng.randint(1, 28):02d}",
                })
    return rows


def village_counts(roster: list[dict[str, object]]) -> list[dict[str, object]]:
    """The roster aggregated by village for three months; the small villages are what suppression is for."""
    out = []
    for month in ("07", "08", "09"):
        for town, villages in TOWNS.items():
            for village in villages:
                rows = [r for r in roster if r["村（社区）"] == village]
                out.append({"统计月份": f"{YEAR}-{month}", "县级区划代码": "533401", "乡镇（街道）": town, "村（社区）": village,
                            "保障户数": len(rows), "保障人数": sum(int(r["保障人数"]) for r in rows),  # type: ignore[call-overload]
                            "保障金额（元）": round(sum(float(r["月保障金额（元）"]) for r in rows), 2)})  # type: ignore[arg-type]
    return out


def generate(out: Path) -> list[Path]:
    rng = random.Random(SEED)
    projects = lottery_projects(rng)
    paths = [out / "fund-allocations" / f"{YEAR}年资金分配结果.csv",
             out / "culture-sports-facilities" / "公共文化体育设施名录.csv",
             out / "student-aid-recipients" / f"{YEAR}学年国家助学金受助学生名册.csv",
             out / "disaster-relief-recipients" / f"{YEAR}年救灾款物发放花名册.csv",
             out / "dibao-village-counts" / f"{YEAR}年第三季度低保分村统计.csv"]
    made = write_lottery_files(projects, out)
    _replay_first_allocation_draws(rng, projects)
    write_csv(allocations(projects, *_poverty()), paths[0], "gbk")
    write_csv(facilities(rng), paths[1], "utf-8-sig")
    roster = dibao_roster(rng)
    made += write_rosters(roster, out)
    write_csv(student_aid(rng), paths[2], "gbk")
    write_csv(relief(rng), paths[3], "utf-8-sig")
    write_csv(village_counts(roster), paths[4], "utf-8")
    return made + paths + _domain_modules(out)


def _domain_modules(out: Path) -> list[Path]:
    """Run every ``gen_*.py`` beside this file: each has ``generate(out) -> list[Path]`` with its own seed."""
    import importlib.util
    import sys

    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))  # so a gen_*.py may `from generate import write_csv, ...`
    made: list[Path] = []
    for path in sorted(HERE.glob("gen_*.py")):
        spec = importlib.util.spec_from_file_location(f"gongkai_samples_{path.stem}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        made.extend(module.generate(out))
    return made


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE)
    for p in generate(ap.parse_args().out):
        print(p)
