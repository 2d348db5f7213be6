"""Sample sources of the social-assistance and education statistics datasets (group ``social``).

- ``social-assistance-statistics``: one XLSX per quarter of 2025 as 民政 statistics offices send them — a title row,
  a 填报单位 / 金额单位：万元 note, a two-row merged header (城市低保 over 户数, 人数, 月人均保障标准（元）…), a 合计 row,
  counts as text with thousands separators or full-width digits, and "/" where a county has no rural recipients;
- ``lottery-fund-summary``: one CSV a year (2023–2025; GBK for the first two, UTF-8 with BOM and some full-width
  digits for the last), 万元 headers, thousands separators, Chinese dates, a 合计 row; 迪庆州's 2023 sports line
  carries the published figures (上年结余 464.14, 本级留用 1,024.90, 支出 1,019.04, 年末结余 470.00 万元);
- ``student-aid-summary``: an XLSX by school, programme and tier for two school years, some amounts written
  "45.60万元" in the cell, full-width digits, a 合计 row;
- ``private-schools``: a GBK CSV directory of 民办学校 with full-width digits in codes, phones and fees, mixed
  Chinese date formats and "/" where a fee does not apply.

Every code is valid (统一社会信用代码 with its check character, current GB/T 2260 codes, office landlines); no
natural person appears anywhere. Fixed seed and dates: the files are the same on every run.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import sys
from pathlib import Path

if str(Path(__file__).resolve().parent) not in sys.path:  # generate.py normally does this
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import COUNTY_NAMES, PREFECTURES, _landline, new_workbook, write_csv

SEED = 20251126
YEAR = 2025
FIXED = dt.datetime(2025, 11, 3, 9, 0, 0)
FULLWIDTH = str.maketrans("0123456789-,.", "０１２３４５６７８９－，．")
COUNTY_PREFECTURE = {c: p for p, (_, counties) in PREFECTURES.items() for c in counties}
AREA_CODES = {"530100": "0871", "530300": "0874", "532900": "0872", "533400": "0887", "532500": "0873"}
URBAN_DISTRICTS = {"530102", "530103", "530111", "530112", "530114", "530302"}

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def fullwidth(s: object) -> str:
    return str(s).translate(FULLWIDTH)


def org_code(body8: str) -> str:
    """A GB 11714 organisation code: eight characters and their check character."""
    value = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True))
    check = 11 - value % 11
    return body8 + {10: "X", 11: "0"}.get(check, str(check))


def uscc(prefix: str, region: str, org9: str) -> str:
    """A 统一社会信用代码 (GB 32100): registration prefix, region, organisation code and the check character."""
    body = f"{prefix}{region}{org9}"
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_CHARS[(31 - total % 31) % 31]


def _workbook(sheet: str):  # type: ignore[no-untyped-def]
    return new_workbook(sheet, FIXED)


# -- 1. social-assistance-statistics ----------------------------------------------------------------------------

# 城市 元/人·月, 农村 元/人·年, by prefecture, for the first half of 2025; raised from July (third quarter)
STANDARDS = {"530100": (800, 6500), "530300": (745, 6200), "532900": (740, 6150), "533400": (760, 6300),
             "532500": (735, 6160)}
QUARTERS = {1: "第一季度", 2: "第二季度", 3: "第三季度"}
SA_GROUPS = [
    ("城市低保", ["户数", "人数", "月人均保障标准（元）", "月人均补助水平（元）", "本年累计支出"]),
    ("农村低保", ["户数", "人数", "年人均保障标准（元）", "月人均补助水平（元）", "本年累计支出"]),
    ("特困人员救助供养", ["集中供养人数", "分散供养人数", "集中供养月标准（元）", "分散供养月标准（元）"]),
    ("临时救助", ["本年累计救助人次", "平均救助水平（元）"]),
]
SA_SINGLES = ["地区", "行政区划代码", "年度", "季度"]
SA_KEYS = [f"{g}/{s}" for g, subs in SA_GROUPS for s in subs]
SA_SUMMED = [k for k in SA_KEYS if not any(w in k for w in ("标准", "水平"))]
EXPLAINED_DROP = "533422"  # 德钦县: its care home closes for works in July; residents move to home-based care


def social_assistance(rng: random.Random) -> dict[int, list[dict[str, object]]]:
    """Rows per quarter, with Chinese keys ("城市低保/人数"); money in 万元 where the sheet says so."""
    state: dict[str, dict[str, float]] = {}
    for code in COUNTY_NAMES:
        urban = code in URBAN_DISTRICTS
        state[code] = {
            "up": rng.randint(1500, 9000) if urban else rng.randint(600, 4000),
            "rp": 0 if code == "530102" else (rng.randint(200, 2500) if urban else rng.randint(8000, 45000)),
            "uh_ratio": rng.uniform(1.45, 1.9), "rh_ratio": rng.uniform(1.9, 2.5),
            "ci": rng.randint(20, 400), "hi": rng.randint(150, 2500),
            "u_spent": 0.0, "r_spent": 0.0, "cases": 0,
        }
    out: dict[int, list[dict[str, object]]] = {}
    for q in QUARTERS:
        rows = []
        for code, county in COUNTY_NAMES.items():
            s = state[code]
            if q > 1:
                s["up"] = round(s["up"] * rng.uniform(0.97, 1.02))
                s["rp"] = round(s["rp"] * rng.uniform(0.97, 1.02))
                s["ci"] = max(1, s["ci"] + rng.randint(-5, 5))
                s["hi"] = s["hi"] + rng.randint(-20, 20)
            note: str | None = None
            centralised = s["ci"]
            if code == EXPLAINED_DROP and q == 3:
                note = "德钦县特困人员供养服务设施7月起改造，集中供养对象临时转为分散供养，改造完成后恢复。"
                s["hi"] += s["ci"]
                centralised = 0
            u_std, r_std = STANDARDS[COUNTY_PREFECTURE[code]]
            if q == 3:
                u_std, r_std = u_std + 30, r_std + 300
            u_sub = round(u_std * rng.uniform(0.62, 0.78), 2)
            r_sub = round(r_std / 12 * rng.uniform(0.65, 0.8), 2) if s["rp"] else None
            s["u_spent"] += s["up"] * u_sub * 3
            s["r_spent"] += s["rp"] * (r_sub or 0) * 3
            s["cases"] += rng.randint(150, 1400)
            uh = max(1, round(s["up"] / s["uh_ratio"]))
            rh = round(s["rp"] / s["rh_ratio"])
            rows.append({
                "地区": county, "行政区划代码": code, "年度": YEAR, "季度": q,
                "城市低保/户数": uh, "城市低保/人数": int(s["up"]), "城市低保/月人均保障标准（元）": u_std,
                "城市低保/月人均补助水平（元）": u_sub, "城市低保/本年累计支出": round(s["u_spent"] / 10000, 2),
                "农村低保/户数": rh, "农村低保/人数": int(s["rp"]), "农村低保/年人均保障标准（元）": r_std,
                "农村低保/月人均补助水平（元）": r_sub if r_sub is not None else "/",
                "农村低保/本年累计支出": round(s["r_spent"] / 10000, 2),
                "特困人员救助供养/集中供养人数": int(centralised), "特困人员救助供养/分散供养人数": int(s["hi"]),
                "特困人员救助供养/集中供养月标准（元）": math.ceil(u_std * 1.3),
                "特困人员救助供养/分散供养月标准（元）": math.ceil(r_std / 12 * 1.3),
                "临时救助/本年累计救助人次": int(s["cases"]),
                "临时救助/平均救助水平（元）": round(rng.uniform(800, 1100), 2),
                "说明": note or "/",
            })
        # what clerks type: counts with thousands separators or in full-width digits, stored as text
        for r in rng.sample(rows, 4):
            r["农村低保/人数"] = f"{r['农村低保/人数']:,}"
        for r in rng.sample(rows, 2):
            r["城市低保/户数"] = fullwidth(r["城市低保/户数"])
        out[q] = rows
    return out


def _number(v: object) -> float:
    return float(str(v).translate(str.maketrans("０１２３４５６７８９，", "0123456789,")).replace(",", ""))


def write_social_assistance_xlsx(rows: list[dict[str, object]], path: Path, quarter: int) -> None:
    from openpyxl.styles import Alignment, Font

    wb, ws = _workbook("社会救助")
    width = len(SA_SINGLES) + len(SA_KEYS) + 1
    ws.cell(1, 1, f"{YEAR}年{QUARTERS[quarter]}城乡低保、特困人员救助供养和临时救助情况统计表").font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(2, 1, "填报单位：云南省民政厅")
    ws.cell(2, width - 3, "金额单位：万元（保障标准、补助水平为元）")
    col = 1
    for h in SA_SINGLES:
        ws.cell(3, col, h)
        ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
        col += 1
    for group, subs in SA_GROUPS:
        ws.cell(3, col, group)
        ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + len(subs) - 1)
        for j, s in enumerate(subs):
            ws.cell(4, col + j, s)
        col += len(subs)
    ws.cell(3, col, "说明")
    ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    order = [*SA_SINGLES, *SA_KEYS, "说明"]
    for r in rows:
        ws.append([r[k] for k in order])
    totals: dict[str, object] = {"地区": "合计", "行政区划代码": None, "年度": YEAR, "季度": quarter, "说明": None}
    for k in SA_KEYS:
        totals[k] = round(sum(_number(r[k]) for r in rows), 2) if k in SA_SUMMED else "—"
    ws.append([totals[k] for k in order])
    for c in ws[3] + ws[4]:
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def social_assistance_paths(out: Path) -> dict[int, Path]:
    return {q: out / "social-assistance-statistics" / f"{YEAR}年{name}城乡社会救助统计表.xlsx"
            for q, name in QUARTERS.items()}


# -- 2. lottery-fund-summary ------------------------------------------------------------------------------------

LF_YEARS = (2023, 2024, 2025)
LF_HEADER = ["年度", "地区", "行政区划代码", "资金类别", "管理部门", "上年结余（万元）", "本年筹集（万元）", "本年下达（万元）",
             "本年支出（万元）", "年末结余（万元）", "公告日期", "说明"]
DIQING_SPORT_2023 = {"open": 46414, "income": 102490, "allocated": 102490, "spent": 101904,
                     "note": "体育部门支出656.90万元（州本级320.90万元，补助香格里拉市148万元、维西县99万元、德钦县89万元），"
                             "财政部门支出362.14万元"}


def lottery_fund(rng: random.Random) -> dict[int, list[dict[str, object]]]:
    """Per year, one row per prefecture and fund line; amounts in hundredths of 万元 (exact integers)."""
    balance: dict[tuple[str, str], int] = {}
    out: dict[int, list[dict[str, object]]] = {}
    for year in LF_YEARS:
        rows = []
        for pcode, (pname, _) in PREFECTURES.items():
            for line, agency in (("民政", "民政局"), ("体育", "体育局")):
                key = (pcode, line)
                opening = balance.get(key, rng.randint(5_000, 80_000))
                income = rng.randint(40_000, 320_000) if pcode == "530100" else rng.randint(20_000, 150_000)
                available = opening + income
                allocated = min(available, income * rng.randint(90, 106) // 100)
                spent = min(available, allocated * rng.randint(85, 100) // 100)
                note = ""
                if (pcode, line, year) == ("533400", "体育", 2023):
                    opening, income, allocated, spent = (DIQING_SPORT_2023[k] for k in ("open", "income", "allocated", "spent"))
                    note = str(DIQING_SPORT_2023["note"])
                elif rng.random() < 0.15:
                    note = "含上级补助地方彩票公益金"
                closing = opening + income - spent
                balance[key] = closing
                day = dt.date(year + 1, 6, rng.randint(10, 28))
                rows.append({"年度": year, "地区": pname, "行政区划代码": pcode, "资金类别": line, "管理部门": f"{pname}{agency}",
                             "open": opening, "income": income, "allocated": allocated, "spent": spent, "closing": closing,
                             "公告日期": day, "说明": note or "/"})
        out[year] = rows
    return out


def _wan(cents: int) -> str:
    return f"{cents / 100:,.2f}"


def write_lottery_fund_csv(rows: list[dict[str, object]], path: Path, encoding: str, rng: random.Random) -> None:
    out = []
    for r in rows:
        day: dt.date = r["公告日期"]  # type: ignore[assignment]
        rec = {"年度": r["年度"], "地区": r["地区"], "行政区划代码": r["行政区划代码"], "资金类别": r["资金类别"],
               "管理部门": r["管理部门"], "上年结余（万元）": _wan(r["open"]), "本年筹集（万元）": _wan(r["income"]),  # type: ignore[arg-type]
               "本年下达（万元）": _wan(r["allocated"]), "本年支出（万元）": _wan(r["spent"]),  # type: ignore[arg-type]
               "年末结余（万元）": _wan(r["closing"]),  # type: ignore[arg-type]
               "公告日期": f"{day.year}年{day.month}月{day.day}日", "说明": r["说明"]}
        if encoding == "utf-8-sig" and rng.random() < 0.4:  # pasted from a Word notice: full-width digits
            rec["本年支出（万元）"] = fullwidth(rec["本年支出（万元）"])
            rec["行政区划代码"] = fullwidth(rec["行政区划代码"])
        out.append(rec)
    total = {k: "" for k in LF_HEADER}
    total.update({"年度": rows[0]["年度"], "地区": "合计"})
    for head, key in (("上年结余（万元）", "open"), ("本年筹集（万元）", "income"), ("本年下达（万元）", "allocated"),
                      ("本年支出（万元）", "spent"), ("年末结余（万元）", "closing")):
        total[head] = _wan(sum(int(r[key]) for r in rows))  # type: ignore[call-overload]
    write_csv([*out, total], path, encoding)


def lottery_fund_paths(out: Path) -> dict[int, Path]:
    return {y: out / "lottery-fund-summary" / f"{y}年度彩票公益金使用情况.csv" for y in LF_YEARS}


# -- 3. student-aid-summary -------------------------------------------------------------------------------------

# (school, stage, county of the school, region of the registering authority, size)
SCHOOLS = [
    ("滇中城市职业学院", "普通本专科", "530114", "530000", 3),
    ("滇西师范专科学校", "普通本专科", "532901", "530000", 2),
    ("迪庆州职业技术学校", "中等职业教育", "533401", "533400", 1),
    ("香格里拉市职业高级中学", "中等职业教育", "533401", "533401", 1),
    ("会泽县职业技术学校", "中等职业教育", "530326", "530326", 1),
    ("迪庆州民族中学", "普通高中", "533401", "533400", 1),
    ("香格里拉市第一中学", "普通高中", "533401", "533401", 1),
    ("宣威市第三中学", "普通高中", "530381", "530381", 1),
    ("蒙自市第一高级中学", "普通高中", "532503", "532503", 1),
    ("德钦县民族完全小学", "义务教育", "533422", "533422", 1),
    ("维西傈僳族自治县民族初级中学", "义务教育", "533423", "533423", 1),
    ("会泽县大井镇中心学校", "义务教育", "530326", "530326", 1),
]
# programme → [(tier, standard 元/人·年, persons range)] by stage
PROGRAMMES: dict[str, list[tuple[str, str, int, tuple[int, int]]]] = {
    "普通本专科": [("国家奖学金", "/", 10000, (3, 15)), ("国家励志奖学金", "/", 6000, (40, 180)),
               ("国家助学金", "一档", 4500, (150, 500)), ("国家助学金", "二档", 3700, (300, 900)),
               ("国家助学金", "三档", 2900, (200, 700))],
    "中等职业教育": [("国家奖学金", "/", 6000, (1, 6)), ("国家助学金", "一档", 3000, (60, 240)),
                ("国家助学金", "二档", 2000, (80, 300)), ("免学费", "/", 2000, (400, 1600))],
    "普通高中": [("国家助学金", "一档", 3000, (40, 160)), ("国家助学金", "二档", 2300, (80, 300)),
             ("国家助学金", "三档", 1600, (60, 240)), ("免学费", "/", 1200, (100, 500))],
    "义务教育": [("生活补助", "/", 1000, (80, 400)), ("生活补助", "/", 500, (20, 120)),  # 小学: boarding, day pupils
             ("生活补助", "/", 1250, (60, 300)), ("生活补助", "/", 625, (20, 120))],  # 初中
}
ONLY = {"德钦县民族完全小学": (1000, 500), "维西傈僳族自治县民族初级中学": (1250, 625)}
SA_SCHOOL_YEARS = ("2024-2025", "2025-2026")


def luhn_run(code: str) -> bool:
    """Whether ``code`` starts with a 16–19 digit run passing the Luhn check (what a bank card scanner flags)."""
    run = re.match(r"[0-9]*", code).group()  # type: ignore[union-attr]
    total = sum((d * 2 - 9 if d > 4 else d * 2) if i % 2 else d for i, d in enumerate(map(int, reversed(run))))
    return 16 <= len(run) <= 19 and total % 10 == 0


def school_code(rng: random.Random, region: str) -> str:
    """A 事业单位 code: 12 + region + an organisation code starting with 4 (as public institutions' often do).

    About one all-digit code in ten also passes the Luhn check and gongkai's scanner takes it for a bank card
    number (reported to the lead); such draws are skipped so that the samples release.
    """
    while luhn_run(code := uscc("12", region, org_code(f"4{rng.randint(0, 9_999_999):07d}"))):
        pass
    return code


def student_aid_summary(rng: random.Random) -> list[dict[str, object]]:
    codes = {name: school_code(rng, reg) for name, _, _, reg, _ in SCHOOLS}
    rows: list[dict[str, object]] = []
    for year in SA_SCHOOL_YEARS:
        for name, stage, county, _, size in SCHOOLS:
            programmes = [p for p in PROGRAMMES[stage] if name not in ONLY or p[2] in ONLY[name]]
            for programme, tier, standard, (lo, hi) in programmes:
                persons = rng.randint(lo, hi) * size
                amount: object = persons * standard
                if rng.random() < 0.2:  # some schools report the amount in 万元, written in the cell
                    amount = f"{persons * standard / 10000:.2f}万元"
                elif rng.random() < 0.15:
                    amount = f"{persons * standard:,}"
                rows.append({"学年": year, "学校名称": name, "统一社会信用代码": codes[name], "所在地区代码": county,
                             "学段": stage, "资助项目": programme, "资助档次": tier, "资助人数（人）": persons,
                             "资助标准（元/人·年）": standard, "资助金额": amount})
    for r in rng.sample(rows, 3):
        r["资助人数（人）"] = fullwidth(r["资助人数（人）"])
    return rows


def write_student_aid_xlsx(rows: list[dict[str, object]], path: Path) -> None:
    from openpyxl.styles import Font

    wb, ws = _workbook("资助汇总")
    header = list(rows[0])
    ws.cell(1, 1, "2024—2026学年学生资助资金发放情况汇总表").font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.cell(2, 1, "填报单位：云南省学生资助管理中心")
    ws.cell(2, len(header) - 1, "单位：人、元")
    ws.append([])
    ws.append(header)
    for r in rows:
        ws.append([r[k] for k in header])
    persons = sum(int(_number(r["资助人数（人）"])) for r in rows)
    amount = sum(_number(str(r["资助金额"]).replace("万元", "")) * (10000 if "万元" in str(r["资助金额"]) else 1) for r in rows)
    ws.append(["合计", None, None, None, None, None, None, persons, "—", round(amount, 2)])  # 合计 in the first column
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def student_aid_path(out: Path) -> Path:
    return out / "student-aid-summary" / "2024—2026学年学生资助汇总表.xlsx"


# -- 4. private-schools -----------------------------------------------------------------------------------------

PS_KINDS = [  # (办学类型, name suffix, 办学内容, licence type digit, tuition range 元, fee period, boarding range)
    ("幼儿园", "幼儿园", "全日制学前教育（小班、中班、大班）", 1, (1200, 3800), "月", None),
    ("小学", "小学", "小学1—6年级全日制教育", 2, (9000, 26000), "学期", (1500, 3500)),
    ("九年一贯制学校", "实验学校", "小学、初中全日制教育", 2, (12000, 38000), "学期", (1800, 4000)),
    ("初级中学", "中学", "初中全日制教育", 3, (10000, 30000), "学期", (1500, 3800)),
    ("普通高中", "高级中学", "普通高中学历教育", 3, (9000, 28000), "学期", (1500, 3500)),
    ("中等职业学校", "职业技术学校", "中等职业学历教育：计算机应用、幼儿保育、汽车运用与维修", 4, (4000, 9000), "学年", (800, 1600)),
    ("文化教育类培训机构", "培训学校", "非学科类培训：书法、美术、音乐、科技素养", 5, None, None, None),
]
PS_WORDS = ["阳光", "启明星", "七彩", "博雅", "育才", "明德", "新星", "蓝天", "晨曦", "远航", "嘉禾", "致远"]
ROADS = ["人民路", "北京路", "建设路", "学府路", "环城南路", "园丁路", "团结路", "龙泉路"]
PS_HEADER = ["学校名称", "统一社会信用代码", "办学许可证号", "举办者", "办学类型", "所在地区代码", "办学地址", "办学内容",
             "收费项目", "学费（保育教育费）标准", "住宿费标准", "计费周期", "审批机关", "发证日期", "有效期至", "联系电话"]


def _cn_date(rng: random.Random, d: dt.date) -> str:
    return rng.choice([f"{d.year}年{d.month}月{d.day}日", f"{d.year}/{d.month}/{d.day}", f"{d:%Y.%m.%d}", d.isoformat()])


def private_schools(rng: random.Random) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    used: set[str] = set()
    seq = 0
    for code, county in COUNTY_NAMES.items():
        pref_code = COUNTY_PREFECTURE[code]
        pname = PREFECTURES[pref_code][0]
        for kind, suffix, scope, digit, tuition, period, boarding in rng.sample(PS_KINDS, rng.choice((1, 2, 2, 3))):
            word = rng.choice([w for w in PS_WORDS if f"{county}{w}{suffix}" not in used])
            name = f"{county}{word}{suffix}"
            used.add(name)
            seq += 1
            high = kind in ("普通高中", "中等职业学校")
            approver = f"{pname}教育体育局" if high else f"{county}教育体育局"
            issued = dt.date(2024, 1, 2) + dt.timedelta(days=rng.randint(0, 640))
            valid_to = issued.replace(year=issued.year + 5) - dt.timedelta(days=1)
            fee = rng.randrange(tuition[0], tuition[1], 100) if tuition else None
            board = rng.randrange(boarding[0], boarding[1], 50) if boarding and rng.random() < 0.8 else None
            items = "按课程收费，标准在机构场所公示" if fee is None else ("保育教育费、伙食费（代收）" if kind == "幼儿园" else
                                                              "学费" + ("、住宿费" if board else ""))
            sponsor = rng.choice([f"云南{word}教育科技有限公司", f"{pname[:2]}{word}教育咨询有限公司",
                                  f"{county}{word}教育发展基金会"])
            phone = _landline(rng, AREA_CODES[pref_code])
            rec: dict[str, object] = {
                "学校名称": name, "统一社会信用代码": uscc("52", code, org_code(f"MJ{rng.randint(0, 999_999):06d}")),
                "办学许可证号": f"教民1{code}{digit}{seq:07d}号", "举办者": sponsor, "办学类型": kind, "所在地区代码": code,
                "办学地址": f"{county}{rng.choice(ROADS)}{rng.randint(1, 399)}号", "办学内容": scope, "收费项目": items,
                "学费（保育教育费）标准": "/" if fee is None else (f"{fee:,}" if rng.random() < 0.3 else fee),
                "住宿费标准": "/" if board is None else board, "计费周期": period or "/", "审批机关": approver,
                "发证日期": _cn_date(rng, issued), "有效期至": _cn_date(rng, valid_to), "联系电话": phone,
            }
            if rng.random() < 0.3:  # typed with a Chinese input method: full-width digits
                for k in ("联系电话", "办学许可证号", "学费（保育教育费）标准"):
                    rec[k] = fullwidth(rec[k])
            rows.append(rec)
    return rows


def private_schools_path(out: Path) -> Path:
    return out / "private-schools" / "民办学校名录.csv"


# -- all ------------------------------------------------------------------------------------------------------------

def rng_for(dataset: str) -> random.Random:
    """Each dataset draws from its own generator, so tests can rebuild one dataset's rows alone."""
    return random.Random(f"{SEED}/{dataset}")


def generate(out: Path) -> list[Path]:
    made: list[Path] = []
    sa = social_assistance(rng_for("social-assistance-statistics"))
    for q, path in social_assistance_paths(out).items():
        write_social_assistance_xlsx(sa[q], path, q)
        made.append(path)
    rng = rng_for("lottery-fund-summary")
    lf = lottery_fund(rng)
    for year, path in lottery_fund_paths(out).items():
        write_lottery_fund_csv(lf[year], path, "gbk" if year < 2025 else "utf-8-sig", rng)
        made.append(path)
    path = student_aid_path(out)
    write_student_aid_xlsx(student_aid_summary(rng_for("student-aid-summary")), path)
    made.append(path)
    path = private_schools_path(out)
    write_csv(private_schools(rng_for("private-schools")), path, "gbk")
    made.append(path)
    return made
