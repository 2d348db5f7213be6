"""Sample sources of the regulatory and environmental disclosure datasets (group ``regulatory``).

- ``food-safety-sampling``: per 公告 an XLSX of 不合格 samples (title, note, two-row merged header with
  不合格项目 / 检验结果 / 标准值 under 不合格项目信息) and a GBK CSV of 合格 samples ("/" where not applicable,
  Chinese and slashed dates);
- ``administrative-licensing``: a 双公示 export (XLSX, title row), natural persons already masked by the system,
  but with the 证件号码 columns the privacy policy must drop; decisions around 国庆 2025 and 春节 2026 and
  publications on 调休 working Saturdays;
- ``administrative-penalties``: a GBK CSV, fines in 万元 (one cell written "3000元", some full-width digits),
  Chinese dates, "/" for not applicable;
- ``key-polluters``: 2024 list as a GBK CSV, 2025 list as an XLSX with title, 填报单位 line and a 序号 column;
  one row per unit and category;
- ``drinking-water-quality``: Q1–Q3 2025 as GBK CSVs with 万吨 headers, Q4 as an XLSX with a 单位：万吨 note;
  one source is shut for repairs in Q3 (explained in 备注);
- ``eia-approvals``: a UTF-8-with-BOM CSV with multi-line cells and Chinese dates; notice windows over holidays;
- ``department-budgets``: one XLSX per department, in the folder of the department's CKAN organization (it submits
  its own, 预算法第十四条; ``agencies/departments.yaml``): title, 单位：万元 note, two-row merged header, a 合计 row,
  类 / 款 / 项 rows whose parts sum to their totals;
- ``disaster-donations``: three progress reports (CSV with 万元 and 元 mixed in cells, XLSX with merged header);
- ``government-purchased-services``: the tiered 目录 as an XLSX with a title and a 说明 row.

Every 统一社会信用代码 carries its check character and a current GB/T 2260 code. Fixed seeds and dates: the files
are the same on every run.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import sys
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parent) not in sys.path:  # generate.py normally does this
    sys.path.insert(0, str(Path(__file__).resolve().parent))

import chinese_calendar
from generate import COUNTY_NAMES, PREFECTURES, _name, new_workbook, person_id, write_csv

SEED = 20251203
FIXED = dt.datetime(2026, 3, 2, 9, 0, 0)
ONE_DAY = dt.timedelta(days=1)
FULLWIDTH = str.maketrans("0123456789.-", "０１２３４５６７８９．－")
COUNTY_PREFECTURE = {c: p for p, (_, counties) in PREFECTURES.items() for c in counties}
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ROADS = ["人民路", "北京路", "环城南路", "滇池路", "建设路", "龙泉路", "学府路", "春城路", "迎宾大道", "工业园区纬一路"]
WORDS = ["鼎诚", "凯宏", "远泰", "永升", "恒川", "嘉禾", "顺源", "盛通", "金岭", "翠屏", "云岭", "彩云", "高原", "滇润",
         "瑞禾", "同泰", "兴滇", "康源", "润丰", "明达"]


# -- shared helpers ---------------------------------------------------------------------------------------------

def uscc(rng: random.Random, prefix: str, region: str) -> str:
    """A valid 统一社会信用代码: prefix, GB/T 2260 region, an organisation part starting with letters, check char."""
    body = prefix + region + rng.choice(["MA", "MB", "MC"]) + "".join(rng.choice(USCC_CHARS) for _ in range(7))
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return body + USCC_CHARS[(31 - total % 31) % 31]


def is_workday(day: dt.date) -> bool:
    return bool(chinese_calendar.is_workday(day))


def add_workdays(day: dt.date, n: int) -> dt.date:
    """The n-th working day after ``day`` (China's calendar with 调休)."""
    while n > 0:
        day += ONE_DAY
        n -= is_workday(day)
    return day


def workday_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    while True:
        day = start + dt.timedelta(days=rng.randint(0, (end - start).days))
        if is_workday(day):
            return day


def add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def number_by_date(rows: list[dict[str, Any]], key: str, date_key: str) -> list[dict[str, Any]]:
    """Fill the ``{n}`` of document numbers such as 云环审〔2025〕{n}号 in date order, per issuer and year."""
    counters: dict[str, int] = {}
    for r in sorted((r for r in rows if r[key]), key=lambda r: r[date_key]):
        counters[r[key]] = counters.get(r[key], 0) + 1
        r[key] = r[key].replace("{n}", str(counters[r[key]]))
    return rows


def zh_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def slash_date(day: dt.date) -> str:
    return f"{day.year}/{day.month}/{day.day}"


def address(rng: random.Random, region: str) -> str:
    county = COUNTY_NAMES[region]
    prefecture = PREFECTURES[COUNTY_PREFECTURE[region]][0]
    return f"云南省{prefecture}{county}{rng.choice(ROADS)}{rng.randint(1, 388)}号"


def _workbook(sheet: str):  # type: ignore[no-untyped-def]
    return new_workbook(sheet, FIXED)


Column = str | tuple[str, list[str]]


def write_sheet(path: Path, sheet: str, title: str, note: str | None, columns: list[Column],
                rows: list[list[Any]], date_columns: tuple[int, ...] = ()) -> Path:
    """A titled sheet: row 1 the title, row 2 an optional note, then a one- or two-row header (groups merged)."""
    from openpyxl.styles import Alignment, Font

    wb, ws = _workbook(sheet)
    width = sum(1 if isinstance(c, str) else len(c[1]) for c in columns)
    ws.cell(1, 1, title).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    if note:
        ws.cell(2, 1, note)
    top = 3 if note else 2
    two_rows = any(not isinstance(c, str) for c in columns)
    col = 1
    for c in columns:
        if isinstance(c, str):
            ws.cell(top, col, c)
            if two_rows:
                ws.merge_cells(start_row=top, start_column=col, end_row=top + 1, end_column=col)
            col += 1
        else:
            group, subs = c
            ws.cell(top, col, group)
            ws.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + len(subs) - 1)
            for j, s in enumerate(subs):
                ws.cell(top + 1, col + j, s)
            col += len(subs)
    for c in ws[top] + (ws[top + 1] if two_rows else ()):
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    first = top + (2 if two_rows else 1)
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows(min_row=first):
        for c in row:
            if c.column - 1 in date_columns and isinstance(c.value, dt.date):
                c.number_format = "yyyy-mm-dd"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    _pin_timestamps(path)
    return path


def _pin_timestamps(path: Path) -> None:
    """openpyxl stamps the save time into the zip entries and docProps/core.xml: pin both, so files are identical."""
    import io
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        entries = [(info.filename, z.read(info)) for info in z.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + f"{FIXED:%Y-%m-%dT%H:%M:%SZ}".encode(), data)
            z.writestr(zipfile.ZipInfo(name, date_time=FIXED.timetuple()[:6]), data, compress_type=zipfile.ZIP_DEFLATED)
    path.write_bytes(buf.getvalue())


def flat_header(columns: list[Column]) -> list[str]:
    return [x for c in columns for x in ([c] if isinstance(c, str) else c[1])]


# -- 1. food-safety-sampling ------------------------------------------------------------------------------------

ANNOUNCEMENTS = [("2025年第17期", dt.date(2025, 9, 26)), ("2025年第18期", dt.date(2025, 11, 14)),
                 ("2026年第1期", dt.date(2026, 1, 16))]
# 分类, 食品名称, 规格型号, 商标, 生产企业后缀, possible failures (不合格项目, 检验结果, 标准值)
PRODUCTS: list[tuple[str, str, str, str, str, list[tuple[str, str, str]]]] = [
    ("粮食加工品", "大米", "10kg/袋", "滇谷香", "米业有限公司", [("镉(以Cd计)", "0.38mg/kg", "≤0.2mg/kg")]),
    ("粮食加工品", "过桥米线", "500g/袋", "桥韵", "食品有限公司",
     [("脱氢乙酸及其钠盐(以脱氢乙酸计)", "0.106g/kg", "不得使用")]),
    ("食用油、油脂及其制品", "菜籽油", "5L/桶", "金沙江", "油脂有限公司",
     [("苯并[a]芘", "15.6μg/kg", "≤10μg/kg"), ("酸价(KOH)", "4.8mg/g", "≤3mg/g")]),
    ("调味品", "酱油", "500mL/瓶", "拓东", "酿造有限公司", [("苯甲酸及其钠盐(以苯甲酸计)", "1.25g/kg", "≤1.0g/kg")]),
    ("调味品", "油辣子", "250g/瓶", "/", "食品厂", [("苯并[a]芘", "12.8μg/kg", "≤10μg/kg")]),
    ("肉制品", "宣威火腿", "1kg/袋", "浦乡", "火腿有限公司", [("过氧化值(以脂肪计)", "0.42g/100g", "≤0.25g/100g")]),
    ("乳制品", "纯牛奶", "250mL/盒", "高原牧场", "乳业有限公司", [("蛋白质", "2.6g/100g", "≥2.9g/100g")]),
    ("饮料", "饮用纯净水", "18.9L/桶", "/", "饮品有限公司",
     [("铜绿假单胞菌", "检出", "n=5,c=0,m=0CFU/250mL"), ("溴酸盐", "0.018mg/L", "≤0.01mg/L")]),
    ("酒类", "白酒", "500mL/瓶", "/", "酒业有限公司", [("甜蜜素(以环己基氨基磺酸计)", "0.082g/kg", "不得使用")]),
    ("茶叶及相关制品", "普洱茶(熟茶)", "357g/饼", "勐韵", "茶业有限公司", []),
    ("糕点", "鲜花饼", "50g/个", "花语", "食品有限公司",
     [("菌落总数", "3.6×10⁵CFU/g", "n=5,c=2,m=10⁴,M=10⁵CFU/g"), ("霉菌", "260CFU/g", "≤150CFU/g")]),
    ("蔬菜制品", "酸菜", "400g/袋", "/", "食品厂", [("亚硝酸盐(以NaNO₂计)", "32mg/kg", "≤20mg/kg")]),
    ("豆制品", "腐乳", "300g/瓶", "路南", "食品有限公司", [("苯甲酸及其钠盐(以苯甲酸计)", "0.62g/kg", "不得使用")]),
    ("方便食品", "方便面", "105g/袋", "/", "食品有限公司", []),
    ("食用农产品", "韭菜", "/", "/", "", [("腐霉利", "0.65mg/kg", "≤0.2mg/kg"), ("毒死蜱", "0.12mg/kg", "≤0.02mg/kg")]),
    ("食用农产品", "芹菜", "/", "/", "", [("毒死蜱", "0.088mg/kg", "≤0.05mg/kg")]),
    ("食用农产品", "鸡蛋", "/", "/", "", [("恩诺沙星", "28.6μg/kg", "不得检出")]),
    ("食用农产品", "豇豆", "/", "/", "", [("噻虫胺", "0.19mg/kg", "≤0.01mg/kg")]),
    ("食用农产品", "猪肉", "/", "/", "", []),
    ("餐饮食品", "复用餐饮具", "/", "/", "",
     [("阴离子合成洗涤剂(以十二烷基苯磺酸钠计)", "0.12mg/100cm²", "不得检出"), ("大肠菌群", "检出", "不得检出")]),
]
TASK_SOURCES = ["云南省市场监督管理局"] * 4 + ["国家市场监督管理总局", "昆明市市场监督管理局"]
LABS = ["云南省食品药品监督检验研究院", "云南省产品质量监督检验研究院", "昆明市食品药品检验所", "曲靖市食品药品检验所",
        "大理州食品药品检验所"]
FOOD_HEADER: list[Column] = [
    "抽样编号", "标称生产企业名称", "标称生产企业地址", "被抽样单位名称", "被抽样单位地址", "食品名称", "规格型号", "商标",
    "生产日期/批号", ("不合格项目信息", ["不合格项目", "检验结果", "标准值"]), "分类", "公告号", "公告日期", "任务来源",
    "检验机构", "结果", "备注"]


def food_rows() -> list[dict[str, Any]]:
    """Every sample of the three announcements; dates as ``dt.date`` (writers format them)."""
    rng = random.Random(SEED + 1)
    rows: list[dict[str, Any]] = []
    serial = 0
    for no, announced in ANNOUNCEMENTS:
        for _ in range(28):
            serial += 1
            cat, food, spec, brand, suffix, fails = rng.choice(PRODUCTS)
            region = rng.choice(list(COUNTY_NAMES))
            unit_region = rng.choice(list(COUNTY_NAMES))
            unit_county = COUNTY_NAMES[unit_region]
            failed = bool(fails) and rng.random() < 0.2
            items = rng.sample(fails, 2 if failed and len(fails) > 1 and rng.random() < 0.3 else 1) if failed else []
            if cat == "食用农产品":
                producer, producer_addr = None, None
                unit = f"{unit_county}{rng.choice(WORDS)}农贸市场{rng.randint(1, 120)}号摊位"
                made = announced - dt.timedelta(days=rng.randint(20, 45)) if rng.random() < 0.85 else None
            elif cat == "餐饮食品":
                producer, producer_addr = None, None
                unit = f"{unit_county}{rng.choice(WORDS)}餐饮管理有限公司"
                made = announced - dt.timedelta(days=rng.randint(20, 45))
            else:
                producer = f"云南{rng.choice(WORDS)}{suffix}"
                producer_addr = address(rng, region)
                unit = rng.choice([f"{unit_county}{rng.choice(WORDS)}超市有限公司",
                                   f"云南{rng.choice(WORDS)}连锁超市有限公司{unit_county}店",
                                   f"{unit_county}{rng.choice(WORDS)}便利店"])
                made = announced - dt.timedelta(days=rng.randint(30, 200))
            rows.append({
                "抽样编号": f"{'NCP' if cat == '食用农产品' else 'DC'}25530000{serial:06d}",
                "标称生产企业名称": producer, "标称生产企业地址": producer_addr,
                "被抽样单位名称": unit, "被抽样单位地址": address(rng, unit_region),
                "食品名称": food, "规格型号": spec, "商标": brand, "生产日期/批号": made,
                "不合格项目": "；".join(i[0] for i in items) or None, "检验结果": "；".join(i[1] for i in items) or None,
                "标准值": "；".join(i[2] for i in items) or None,
                "分类": cat, "公告号": no, "公告日期": announced, "任务来源": rng.choice(TASK_SOURCES),
                "检验机构": rng.choice(LABS), "结果": "不合格" if failed else "合格",
                "备注": rng.choice(["企业对检验结果提出异议，经复检维持初检结论", "已责令下架召回，立案调查", None])
                if failed else None,
            })
    return rows


def write_food(out: Path) -> list[Path]:
    rows = food_rows()
    header = flat_header(FOOD_HEADER)
    paths = []
    for k, (no, _) in enumerate(ANNOUNCEMENTS):
        failed = [r for r in rows if r["公告号"] == no and r["结果"] == "不合格"]
        passed = [r for r in rows if r["公告号"] == no and r["结果"] == "合格"]
        title = f"云南省市场监督管理局食品安全监督抽检不合格产品信息（{no}）"
        note = ("说明：不合格产品信息中标称生产企业名称、地址及商标等信息由被抽样单位提供，"
                "所列标准值为相关食品安全标准规定的限量。")
        xlsx = out / "food-safety-sampling" / f"食品安全监督抽检不合格产品信息（{no}）.xlsx"
        paths.append(write_sheet(xlsx, "不合格产品", title, note, FOOD_HEADER,
                                 [[r[h] if r[h] is not None else "/" for h in header] for r in failed],
                                 date_columns=(8, 13)))
        fmt = [zh_date, slash_date, dt.date.isoformat][k]
        csv_rows = [{h: (fmt(r[h]) if isinstance(r[h], dt.date) else (r[h] if r[h] is not None else "/"))
                     for h in header} for r in passed]
        path = out / "food-safety-sampling" / f"食品安全监督抽检合格产品信息（{no}）.csv"
        write_csv(csv_rows, path, "gbk")
        paths.append(path)
    return paths


# -- agencies ---------------------------------------------------------------------------------------------------

def _agencies() -> dict[str, tuple[str, str, str]]:
    """市场监管 bureaus: name → (region, 统一社会信用代码, 文号 abbreviation)."""
    rng = random.Random(SEED + 100)
    bureaus = [("云南省市场监督管理局", "530000", "云"), ("昆明市市场监督管理局", "530100", "昆"),
               ("昆明市五华区市场监督管理局", "530102", "五"), ("昆明市官渡区市场监督管理局", "530111", "官"),
               ("曲靖市麒麟区市场监督管理局", "530302", "麒"), ("大理市市场监督管理局", "532901", "大"),
               ("香格里拉市市场监督管理局", "533401", "香"), ("蒙自市市场监督管理局", "532503", "蒙")]
    return {name: (region, uscc(rng, "11", region), abbr) for name, region, abbr in bureaus}


AGENCIES = _agencies()
COUNTY_BUREAUS = [n for n, (r, _, _) in AGENCIES.items() if r in COUNTY_NAMES]


def _party(rng: random.Random, kind: str, region: str, trade: str) -> dict[str, Any]:
    """A relative party: name, category, credit code, representative, and the ID numbers the source carries."""
    county = COUNTY_NAMES[region]
    born = dt.date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28))
    if kind == "自然人":
        return {"行政相对人名称": _name(rng)[0] + "**", "行政相对人类别": kind, "统一社会信用代码": None,
                "法定代表人": None, "证件号码": person_id(rng, born), "法定代表人证件号码": None}
    if kind == "个体工商户":
        name = f"{county}{rng.choice(WORDS)}{trade}店"
        prefix = "92"
    elif kind == "非法人组织":
        name = f"云南{rng.choice(WORDS)}{trade}有限公司{county}分公司"
        prefix = "91"
    else:
        name = f"云南{rng.choice(WORDS)}{trade}有限公司"
        prefix = "91"
    return {"行政相对人名称": name, "行政相对人类别": kind, "统一社会信用代码": uscc(rng, prefix, region),
            "法定代表人": _name(rng), "证件号码": None, "法定代表人证件号码": person_id(rng, born)}


# -- 2. administrative-licensing --------------------------------------------------------------------------------

# 许可类别, 证书名称, 行政相对人类别 choices, trade word, content, years valid (None: long-term), number format
LICENCES: list[tuple[str, str, list[str], str, list[str], int | None, str]] = [
    ("普通", "食品经营许可证", ["法人", "个体工商户", "个体工商户", "非法人组织"], "餐饮",
     ["预包装食品（含冷藏冷冻食品）销售，散装食品（不含冷藏冷冻食品）销售", "热食类食品制售，冷食类食品制售",
      "预包装食品销售，保健食品销售，特殊医学用途配方食品销售"], 5, "JY{d1}{region}{serial:06d}{c}"),
    ("普通", "食品生产许可证", ["法人"], "食品",
     ["食品类别：粮食加工品（大米）", "食品类别：调味品（酱油、食醋）", "食品类别：糕点（烘烤类糕点）",
      "食品类别：茶叶及相关制品（普洱茶）"], 5, "SC1{d1}{d2}{region}{serial:04d}{c}"),
    ("普通", "全国工业产品生产许可证", ["法人"], "建材",
     ["产品名称：水泥（通用硅酸盐水泥）", "产品名称：建筑用钢筋（热轧带肋钢筋）"], 5, "（云）XK{d1}{d2}-{d3}{d1}{d2}-{serial:05d}"),
    ("登记", "特种设备使用登记证", ["法人", "非法人组织"], "物业服务",
     ["设备类别：电梯（曳引驱动乘客电梯）", "设备类别：锅炉（承压蒸汽锅炉）", "设备类别：场（厂）内专用机动车辆（叉车）"],
     None, "梯11云A{serial:05d}（{yy}）"),
    ("认可", "特种设备安全管理和作业人员证", ["自然人"], "",
     ["作业项目：N1 叉车司机", "作业项目：T 电梯修理", "作业项目：G1 工业锅炉司炉", "作业项目：A 特种设备安全管理"],
     4, "TZ53{yy}{serial:06d}"),
    ("登记", "食品小作坊登记证", ["个体工商户", "自然人"], "米线加工",
     ["生产品种：米线（鲜湿类）", "生产品种：豆腐、豆制品", "生产品种：糕点（蒸煮类）"], 3, "XZF{region}{serial:05d}"),
]
# fixed (decision, publication) pairs where the calendar matters: 国庆 2025, 春节 2026, 调休 Saturdays
LICENSING_FIXED = [(dt.date(2025, 9, 30), dt.date(2025, 10, 10)), (dt.date(2025, 9, 28), dt.date(2025, 10, 11)),
                   (dt.date(2026, 2, 13), dt.date(2026, 2, 26)), (dt.date(2026, 2, 27), dt.date(2026, 2, 28)),
                   (dt.date(2026, 2, 12), dt.date(2026, 2, 14))]
LICENSING_COLUMNS = [
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "证件号码", "法定代表人证件号码",
    "行政许可决定文书名称", "行政许可决定文书号", "许可类别", "许可证书名称", "许可编号", "许可内容", "许可决定日期",
    "有效期自", "有效期至", "许可机关", "许可机关统一社会信用代码", "当前状态", "数据来源单位", "数据来源单位统一社会信用代码",
    "公示日期", "备注"]


def licensing_rows() -> list[dict[str, Any]]:
    rng = random.Random(SEED + 2)
    rows: list[dict[str, Any]] = []
    for i in range(72):
        category, cert, kinds, trade, contents, years, fmt = rng.choice(LICENCES)
        kind = rng.choice(kinds)
        if i < len(LICENSING_FIXED):
            decided, published = LICENSING_FIXED[i]
        else:
            decided = workday_between(rng, dt.date(2025, 9, 15), dt.date(2026, 2, 27))
            published = add_workdays(decided, rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 7]))
        if cert in ("食品生产许可证", "全国工业产品生产许可证"):
            authority = "云南省市场监督管理局"
        elif cert == "特种设备安全管理和作业人员证":
            authority = "昆明市市场监督管理局"
        else:
            authority = rng.choice(COUNTY_BUREAUS)
        a_region, a_code, abbr = AGENCIES[authority]
        region = a_region if a_region in COUNTY_NAMES else rng.choice(list(COUNTY_NAMES))
        party = _party(rng, kind, region, trade or "食品")
        valid_to = dt.date(2099, 12, 31) if years is None else add_months(decided, 12 * years) - ONE_DAY
        d1, d2, d3 = (rng.randint(1, 9) for _ in range(3))
        licence_no = fmt.format(d1=d1, d2=d2, d3=d3, region=region, serial=rng.randint(1, 9999), c=rng.randint(0, 9),
                                yy=str(decided.year)[2:])
        status = "有效" if rng.random() < 0.93 else "无效"
        rows.append({
            **party,
            "行政许可决定文书名称": "准予行政许可决定书", "行政许可决定文书号": f"{abbr}市监许〔{decided.year}〕{{n}}号",
            "许可类别": category, "许可证书名称": cert, "许可编号": licence_no, "许可内容": rng.choice(contents),
            "许可决定日期": decided, "有效期自": decided, "有效期至": valid_to, "许可机关": authority,
            "许可机关统一社会信用代码": a_code, "当前状态": status, "数据来源单位": authority,
            "数据来源单位统一社会信用代码": a_code, "公示日期": published,
            "备注": "经营者申请注销，许可证已注销" if status == "无效" else None,
        })
    return number_by_date(rows, "行政许可决定文书号", "许可决定日期")


def write_licensing(out: Path) -> list[Path]:
    rows = licensing_rows()
    path = out / "administrative-licensing" / "行政许可信息（2025年9月至2026年2月）.xlsx"
    title = "云南省市场监督管理系统行政许可信息公示（双公示）"
    return [write_sheet(path, "行政许可", title, "导出时间：2026年3月2日", LICENSING_COLUMNS,
                        [[r[h] for h in LICENSING_COLUMNS] for r in rows], date_columns=(12, 13, 14, 20))]


# -- 3. administrative-penalties --------------------------------------------------------------------------------

# 违法行为类型, 违法事实, 处罚依据, 处罚类别, fine (万元) choices, confiscation (万元) choices or None, revoke?
PENALTIES: list[tuple[str, str, str, str, list[str], list[str] | None, bool, list[str]]] = [
    ("经营超过保质期的食品", "当事人在其经营场所销售超过保质期的{food}{n}件，货值金额{v}元，违法所得{g}元。",
     "《中华人民共和国食品安全法》第一百二十四条第一款第（五）项", "罚款;没收违法所得", ["0.5", "1", "2", "5"],
     ["0.0128", "0.0236", "0.0055"], False, ["法人", "个体工商户", "非法人组织"]),
    ("未取得食品经营许可从事食品经营活动", "当事人未取得食品经营许可，擅自从事{food}销售活动，违法所得{g}元。",
     "《中华人民共和国食品安全法》第一百二十二条第一款", "罚款;没收违法所得;没收非法财物", ["5"],
     ["0.046", "0.121"], False, ["个体工商户", "自然人"]),
    ("超范围超限量使用食品添加剂", "经抽样检验，当事人生产的{food}中苯甲酸检出值超过标准限量，涉案产品货值金额{v}元。",
     "《中华人民共和国食品安全法》第一百二十四条第一款第（三）项", "罚款;没收违法所得", ["5", "8", "10"],
     ["0.35", "1.2"], False, ["法人"]),
    ("经营农药残留超标的食用农产品", "经抽样检验，当事人销售的{food}中毒死蜱残留量超过食品安全标准限量，货值金额{v}元。",
     "《中华人民共和国食品安全法》第一百二十四条第一款第（一）项", "罚款;没收违法所得", ["5"], ["0.0012", "0.0036"], False,
     ["个体工商户", "自然人"]),
    ("未按规定明码标价", "当事人在其经营场所销售的{food}等商品未按规定标示价格。", "《明码标价和禁止价格欺诈规定》第二十一条",
     "警告", [], None, False, ["个体工商户", "法人"]),
    ("使用未经检定的计量器具", "当事人在经营活动中使用未经检定的电子计价秤1台用于贸易结算。",
     "《中华人民共和国计量法实施细则》第四十三条", "罚款;没收非法财物", ["0.1", "0.2"], ["0.015"], False,
     ["个体工商户"]),
    ("发布虚假广告", "当事人在其微信公众号发布宣称{food}具有治疗功效的广告，广告费用{v}元。",
     "《中华人民共和国广告法》第五十五条第一款", "罚款", ["10", "20"], None, False, ["法人"]),
    ("使用未经定期检验的特种设备", "当事人使用的曳引驱动乘客电梯超过检验有效期仍继续使用。",
     "《中华人民共和国特种设备安全法》第八十四条第（一）项", "罚款", ["3", "5"], None, False, ["法人", "非法人组织"]),
    ("生产经营不符合食品安全标准的食品且情节严重", "当事人生产的{food}多次抽检不合格，经责令整改后仍未改正，货值金额{v}元。",
     "《中华人民共和国食品安全法》第一百二十四条第一款", "罚款;没收违法所得;吊销许可证件", ["15", "20"], ["2.6"], True,
     ["法人"]),
]
FOODS = {"经营农药残留超标的食用农产品": ["韭菜", "豇豆", "芹菜"], "发布虚假广告": ["保健食品", "固体饮料"],
         "超范围超限量使用食品添加剂": ["酱油", "鲜花饼", "米线", "腐乳"]}
OTHER_FOODS = ["酱油", "鲜花饼", "饮料", "大米", "米线", "火腿肠", "白酒", "方便面"]
# decision → publication pairs where the calendar matters (the naive weekday count would say 8 for the first)
PENALTY_FIXED = [(dt.date(2025, 9, 30), dt.date(2025, 10, 10)), (dt.date(2025, 9, 26), dt.date(2025, 10, 11)),
                 (dt.date(2026, 2, 12), dt.date(2026, 2, 27)), (dt.date(2026, 2, 13), dt.date(2026, 2, 28)),
                 (dt.date(2025, 12, 31), dt.date(2026, 1, 9))]
PENALTY_COLUMNS = [
    "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别", "处罚内容", "罚款金额（万元）",
    "没收违法所得、没收非法财物的金额（万元）", "暂扣或吊销证照名称及编号", "处罚决定日期", "公示日期", "公示截止期",
    "处罚机关", "处罚机关统一社会信用代码", "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人",
    "证件号码", "数据来源单位", "数据来源单位统一社会信用代码", "备注"]


def _cn_yuan(wan: str) -> str:
    yuan = round(float(wan) * 10000)
    return f"{yuan:,}元"


def penalty_rows() -> list[dict[str, Any]]:
    rng = random.Random(SEED + 3)
    rows: list[dict[str, Any]] = []
    for i in range(52):
        vtype, fact, basis, cats, fines, confiscations, revoke, kinds = rng.choice(PENALTIES)
        kind = rng.choice(kinds)
        if i < len(PENALTY_FIXED):
            decided, published = PENALTY_FIXED[i]
        else:
            decided = workday_between(rng, dt.date(2025, 9, 1), dt.date(2026, 2, 27))
            published = add_workdays(decided, rng.choice([1, 2, 2, 3, 4, 5, 6, 7]))
        authority = rng.choice([*COUNTY_BUREAUS, "昆明市市场监督管理局"])
        a_region, a_code, abbr = AGENCIES[authority]
        region = a_region if a_region in COUNTY_NAMES else rng.choice(list(COUNTY_NAMES))
        producer = revoke or "添加剂" in vtype or "广告" in vtype
        party = _party(rng, kind, region, "食品" if producer else rng.choice(["食品", "商贸", "餐饮", "超市"]))
        party.pop("法定代表人证件号码")
        fine = rng.choice(fines) if fines else None
        if kind == "自然人" and fine:
            fine = rng.choice(["0.05", "0.1"])
        gained = rng.choice(confiscations) if confiscations else None
        content = "；".join(x for x in [
            "警告" if cats == "警告" else "",
            f"罚款人民币{_cn_yuan(fine)}" if fine else "",
            f"没收违法所得及涉案物品共计{_cn_yuan(gained)}" if gained else "",
            "吊销食品生产许可证" if revoke else ""] if x)
        licence = f"食品生产许可证 SC1{rng.randint(10, 99)}{region}{rng.randint(1000, 9999)}{rng.randint(0, 9)}" if revoke else None
        until = add_months(decided, 36 if revoke else (3 if cats == "警告" else 12))
        rows.append({
            "行政处罚决定书文号": f"{abbr}市监处罚〔{decided.year}〕{{n}}号", "违法行为类型": vtype,
            "违法事实": fact.format(food=rng.choice(FOODS.get(vtype, OTHER_FOODS)), n=rng.randint(2, 40),
                                v=rng.randint(80, 9000), g=round(float(gained) * 10000) if gained else 0),
            "处罚依据": basis, "处罚类别": cats, "处罚内容": content, "罚款金额（万元）": fine,
            "没收违法所得、没收非法财物的金额（万元）": gained, "暂扣或吊销证照名称及编号": licence,
            "处罚决定日期": decided, "公示日期": published, "公示截止期": until, "处罚机关": authority,
            "处罚机关统一社会信用代码": a_code, **party, "数据来源单位": authority, "数据来源单位统一社会信用代码": a_code,
            "备注": None,
        })
    return number_by_date(rows, "行政处罚决定书文号", "处罚决定日期")


def write_penalties(out: Path) -> list[Path]:
    rng = random.Random(SEED + 30)
    rows = penalty_rows()
    out_rows = []
    for r in rows:
        row: dict[str, object] = {}
        for h in PENALTY_COLUMNS:
            v = r[h]
            if isinstance(v, dt.date):
                v = rng.choice([zh_date, zh_date, slash_date])(v)
            elif v is None:
                v = "/"
            elif h.startswith("罚款") and rng.random() < 0.15:
                v = str(v).translate(FULLWIDTH)
            row[h] = v
        out_rows.append(row)
    k = next(i for i, r in enumerate(rows) if i > 6 and r["罚款金额（万元）"])  # one clerk typed the fine in 元
    out_rows[k]["罚款金额（万元）"] = f"{round(float(rows[k]['罚款金额（万元）']) * 10000)}元"
    path = out / "administrative-penalties" / "行政处罚信息公示（2025年9月至2026年2月）.csv"
    write_csv(out_rows, path, "gbk")
    return [path]


# -- 4. key-polluters ---------------------------------------------------------------------------------------------

# 行业类别, name pattern, categories always held, categories that may be added, credit-code prefix
INDUSTRIES: list[tuple[str, str, list[str], list[str], str]] = [
    ("污水处理及其再生利用", "{county}{w}水质净化有限公司", ["水"], ["其他"], "91"),
    ("水泥制造", "云南{w}水泥有限公司", ["大气"], ["噪声", "土壤"], "91"),
    ("火力发电", "云南{w}发电有限公司", ["大气"], ["水", "噪声"], "91"),
    ("铅锌冶炼", "云南{w}锌业有限公司", ["大气", "土壤"], ["水"], "91"),
    ("制糖", "{county}{w}糖业有限责任公司", ["水"], ["大气"], "91"),
    ("化学原料和化学制品制造", "云南{w}化工有限公司", ["水"], ["大气", "土壤"], "91"),
    ("危险废物治理", "云南{w}环保科技有限公司", ["土壤"], ["其他"], "91"),
    ("白酒制造", "云南{w}酒业有限公司", ["水"], [], "91"),
    ("综合医院", "{county}{w}医院", ["水"], ["其他"], "12"),
    ("机制纸及纸板制造", "云南{w}纸业有限公司", ["水"], ["大气"], "91"),
]
POLLUTER_COLUMNS = ["序号", "州（市）", "县（市、区）", "行政区划代码", "单位名称", "统一社会信用代码", "行业类别",
                    "重点单位类别", "年度"]


def _polluter_units(rng: random.Random, n: int, used: set[str]) -> list[dict[str, Any]]:
    units = []
    while len(units) < n:
        industry, pattern, base, extra, prefix = rng.choice(INDUSTRIES)
        region = rng.choice(list(COUNTY_NAMES))
        name = pattern.format(county=COUNTY_NAMES[region], w=rng.choice(WORDS))
        if name in used:
            continue
        used.add(name)
        cats = base + [c for c in extra if rng.random() < 0.4]
        units.append({"region": region, "name": name, "uscc": uscc(rng, prefix, region), "industry": industry,
                      "categories": cats})
    return units


def polluter_rows() -> dict[int, list[dict[str, Any]]]:
    """The 2024 and 2025 lists, one row per unit and category."""
    rng = random.Random(SEED + 4)
    used: set[str] = set()
    units = _polluter_units(rng, 36, used)
    lists = {2024: units, 2025: [u for u in units if rng.random() > 0.08] + _polluter_units(rng, 5, used)}
    for u in lists[2025][:4]:  # reclassified in 2025
        extra = next((c for c in ("噪声", "其他", "土壤") if c not in u["categories"]), None)
        if extra:
            lists[2025][lists[2025].index(u)] = {**u, "categories": [*u["categories"], extra]}
    out: dict[int, list[dict[str, Any]]] = {}
    for year, us in lists.items():
        rows = []
        for u in sorted(us, key=lambda u: (u["region"], u["name"])):
            for cat in u["categories"]:
                rows.append({"序号": len(rows) + 1, "州（市）": PREFECTURES[COUNTY_PREFECTURE[u["region"]]][0],
                             "县（市、区）": COUNTY_NAMES[u["region"]], "行政区划代码": u["region"], "单位名称": u["name"],
                             "统一社会信用代码": u["uscc"], "行业类别": u["industry"], "重点单位类别": cat, "年度": year})
        out[year] = rows
    return out


def write_polluters(out: Path) -> list[Path]:
    lists = polluter_rows()
    rename = {"州（市）": "市州", "县（市、区）": "县区", "行政区划代码": "行政区域代码", "行业类别": "行业", "重点单位类别": "类别"}
    old = [{rename.get(k, k): v for k, v in r.items() if k != "序号"} for r in lists[2024]]
    for r in old[::7]:
        r["行政区域代码"] = str(r["行政区域代码"]).translate(FULLWIDTH)
    csv_path = out / "key-polluters" / "2024年环境监管重点单位名录.csv"
    write_csv(old, csv_path, "gbk")
    xlsx = write_sheet(out / "key-polluters" / "2025年环境监管重点单位名录.xlsx", "重点单位名录",
                       "云南省2025年环境监管重点单位名录", "填报单位：云南省生态环境厅　　发布日期：2025年3月28日",
                       POLLUTER_COLUMNS, [[r[h] for h in POLLUTER_COLUMNS] for r in lists[2025]])
    return [csv_path, xlsx]


# -- 5. drinking-water-quality -----------------------------------------------------------------------------------

WATER_SOURCES = [
    ("昆明市", "云龙水库", "湖库型", 2350.0), ("昆明市", "清水海", "湖库型", 1480.0), ("昆明市", "松华坝水库", "湖库型", 1820.0),
    ("昆明市", "自卫村水库", "湖库型", 260.0), ("曲靖市", "潇湘水库", "湖库型", 640.0), ("曲靖市", "独木水库", "湖库型", 520.0),
    ("玉溪市", "东风水库", "湖库型", 410.0), ("大理市", "洱海", "湖库型", 380.0), ("大理市", "海西海", "湖库型", 290.0),
    ("蒙自市", "五里冲水库", "湖库型", 330.0), ("个旧市", "卡房地下水", "地下水型", 95.0),
    ("开远市", "南洞地下河", "地下水型", 280.0), ("香格里拉市", "纳曲河", "河流型", 120.0), ("德钦县", "阿东河", "河流型", 35.0),
    ("维西傈僳族自治县", "永春河", "河流型", 48.0), ("宣威市", "偏桥水库", "湖库型", 210.0), ("安宁市", "车木河水库", "湖库型", 240.0),
]
# (source, quarter) → (超标指标及倍数, share of the water that was compliant)
EXCEEDANCES = {("南洞地下河", 2): ("锰（0.3倍）", 2 / 3), ("洱海", 3): ("总磷（0.2倍）", 1 / 3),
               ("卡房地下水", 4): ("氟化物（0.1倍）", 0.0)}
REPAIRS = {("自卫村水库", 3): "水库除险加固检修，7月至9月暂停取水，由云龙水库补充供水",
           ("自卫村水库", 4): "检修完成，10月起恢复取水"}
WATER_COLUMNS = ["城市", "水源名称", "水源类型", "年份", "季度", "达标情况", "超标指标及超标倍数", "取水量（万吨）",
                 "达标水量（万吨）", "备注"]


def water_rows() -> list[dict[str, Any]]:
    rng = random.Random(SEED + 5)
    rows = []
    for q in (1, 2, 3, 4):
        for city, name, kind, base in WATER_SOURCES:
            intake = round(base * rng.uniform(0.88, 1.12), 2)
            note = REPAIRS.get((name, q))
            if (name, q) == ("自卫村水库", 3):
                intake = 0.0
            exceed, share = EXCEEDANCES.get((name, q), (None, 1.0))
            rows.append({"城市": city, "水源名称": name, "水源类型": kind, "年份": 2025, "季度": q,
                         "达标情况": "不达标" if exceed else "达标", "超标指标及超标倍数": exceed, "取水量（万吨）": intake,
                         "达标水量（万吨）": round(intake * share, 2), "备注": note})
    return rows


def write_water(out: Path) -> list[Path]:
    rows = water_rows()
    paths = []
    for q in (1, 2, 3):
        quarter = []
        for r in rows:
            if r["季度"] != q:
                continue
            row = {k: ("/" if v is None else v) for k, v in r.items()}
            row["取水量（万吨）"] = f"{r['取水量（万吨）']:,.2f}"
            row["达标水量（万吨）"] = f"{r['达标水量（万吨）']:,.2f}"
            if q == 2:
                row["季度"] = str(q).translate(FULLWIDTH)
            quarter.append(row)
        path = out / "drinking-water-quality" / f"2025年第{q}季度县级以上城市集中式饮用水水源水质状况.csv"
        write_csv(quarter, path, "gbk")
        paths.append(path)
    header = [h.replace("（万吨）", "") for h in WATER_COLUMNS]
    q4 = [[("/" if r[h] is None else r[h]) for h in WATER_COLUMNS] for r in rows if r["季度"] == 4]
    paths.append(write_sheet(out / "drinking-water-quality" / "2025年第4季度县级以上城市集中式饮用水水源水质状况.xlsx",
                             "水质状况", "2025年第四季度县级以上城市集中式饮用水水源水质状况", "单位：万吨", header, q4))
    return paths


# -- 6. eia-approvals ---------------------------------------------------------------------------------------------

# 项目名称, 文件类型, 行业代码, 建设内容, 影响与措施, 建设单位 pattern
EIA_KINDS: list[tuple[str, str, str, str, list[str], str]] = [
    ("{county}生活垃圾焚烧发电项目", "报告书", "44", "建设2条日处理能力400吨的机械炉排焚烧线，配套1台15MW汽轮发电机组",
     ["废气：烟气采用“SNCR+半干法+干法+活性炭吸附+布袋除尘+SCR”工艺处理，达标后经80m烟囱排放",
      "废水：渗滤液经“预处理+厌氧+MBR+纳滤+反渗透”处理后回用，不外排",
      "固废：飞灰经螯合固化后送生活垃圾填埋场分区填埋"], "云南{w}环保能源有限公司"),
    ("{county}{w}水泥有限公司熟料生产线技术改造项目", "报告书", "30", "对现有4500t/d熟料生产线进行节能降碳改造",
     ["废气：窑尾采用“低氮燃烧+SNCR+袋式除尘”，颗粒物、氮氧化物排放满足超低排放要求",
      "噪声：高噪声设备采取隔声、减振措施", "固废：除尘灰全部回用于生产"], "云南{w}水泥有限公司"),
    ("{county}城市污水处理厂提标改造工程", "报告表", "46", "处理规模4万m³/d，出水由一级A提升至地表水准Ⅳ类",
     ["废水：尾水达标排放，排放口设置在线监测", "臭气：生物除臭后经15m排气筒排放", "污泥：脱水后送污泥处置中心"],
     "{county}{w}水务有限公司"),
    ("{county}{w}光伏电站项目", "报告表", "44", "装机容量100MW，配套建设1座110kV升压站",
     ["生态：施工避开雨季，临时占地及时恢复植被", "电磁：升压站选址远离居民点，工频电场、磁场满足标准限值"],
     "云南{w}新能源有限公司"),
    ("{county}{w}磷酸铁锂正极材料项目", "报告书", "26", "年产5万吨磷酸铁锂正极材料",
     ["废气：窑炉废气经“旋风+布袋除尘”处理后排放", "废水：生产废水经MVR蒸发结晶后回用",
      "环境风险：设置事故应急池和三级防控体系"], "云南{w}新材料有限公司"),
    ("{county}人民医院住院综合楼扩建项目", "报告表", "84", "新增床位300张",
     ["废水：医疗废水经“预处理+二级生化+消毒”处理后排入市政管网", "固废：医疗废物委托有资质单位处置"],
     "{county}人民医院"),
    ("{county}{w}水库工程", "报告书", "76", "总库容1,280万m³，供水及灌溉",
     ["生态：下泄生态流量不低于多年平均流量的10%，设置鱼类增殖放流站", "施工期：砂石料加工废水沉淀后回用"],
     "{county}水务投资有限公司"),
]
EIA_AGENCIES = ["云南{w}环境科技有限公司", "昆明{w}环保工程咨询有限公司", "云南省环境科学研究院"]
EIA_FIXED_STARTS = [dt.date(2025, 9, 26), dt.date(2026, 2, 11), dt.date(2025, 9, 30)]
EIA_COLUMNS = ["项目代码", "项目名称", "建设地点", "建设单位", "建设单位统一社会信用代码", "环境影响评价机构", "环评文件类型",
               "项目概况", "主要环境影响及预防或者减轻不良环境影响的对策和措施", "公众参与情况", "受理日期", "公示开始日期",
               "公示结束日期", "审批决定日期", "审批文号"]


def eia_rows() -> list[dict[str, Any]]:
    rng = random.Random(SEED + 6)
    rows = []
    for i in range(24):
        name, doc, industry, scope, measures, builder = rng.choice(EIA_KINDS)
        region = rng.choice(list(COUNTY_NAMES))
        county = COUNTY_NAMES[region]
        w = rng.choice(WORDS)
        if i < len(EIA_FIXED_STARTS):
            start = EIA_FIXED_STARTS[i]
            accepted = workday_between(rng, start - dt.timedelta(days=30), start - dt.timedelta(days=10))
        else:
            accepted = workday_between(rng, dt.date(2025, 8, 1), dt.date(2026, 2, 6))
            start = add_workdays(accepted, rng.randint(5, 15))
        end = add_workdays(start - ONE_DAY, rng.choice([5, 5, 5, 7]))
        decided = add_workdays(end, rng.randint(2, 10)) if i % 6 != 5 else None
        if decided and decided > dt.date(2026, 2, 27):
            decided = None
        invest = rng.randint(8, 260) * 1000 // 10
        rows.append({
            "项目代码": f"{accepted:%y%m}-{region}-{industry}-0{rng.randint(1, 3)}-{rng.randint(100000, 999999)}",
            "项目名称": name.format(county=county, w=w),
            "建设地点": f"云南省{PREFECTURES[COUNTY_PREFECTURE[region]][0]}{county}{rng.choice(['工业园区', '经济开发区', '城区', '乡'])}",
            "建设单位": builder.format(county=county, w=w),
            "建设单位统一社会信用代码": uscc(rng, "12" if "医院" in builder else "91", region),
            "环境影响评价机构": rng.choice(EIA_AGENCIES).format(w=rng.choice(WORDS)), "环评文件类型": doc,
            "项目概况": f"项目位于{county}。\n建设内容：{scope}。\n总投资{invest:,}万元，其中环保投资{invest // 12:,}万元。",
            "主要环境影响及预防或者减轻不良环境影响的对策和措施": "\n".join(f"{k}. {m}" for k, m in enumerate(measures, start=1)),
            "公众参与情况": rng.choice([
                "建设单位在{c}人民政府网站进行了两次信息公示，并在项目周边村庄张贴公告，公示期间未收到反对意见。",
                "建设单位通过网络、报纸和现场张贴三种方式公开征求意见，收到意见2条，均已采纳并在报告中说明。",
                "建设单位开展了网络公示和问卷调查，共回收有效问卷126份，支持率98%。"]).format(c=county),
            "受理日期": accepted, "公示开始日期": start, "公示结束日期": end, "审批决定日期": decided,
            "审批文号": f"云环审〔{decided.year}〕{{n}}号" if decided else None,
        })
    return number_by_date(rows, "审批文号", "审批决定日期")


def write_eia(out: Path) -> list[Path]:
    rows = []
    for r in eia_rows():
        rows.append({k: (zh_date(v) if isinstance(v, dt.date) else ("" if v is None else v)) for k, v in r.items()})
    path = out / "eia-approvals" / "建设项目环境影响评价文件拟审批公示及审批决定.csv"
    write_csv(rows, path, "utf-8-sig")
    return [path]


# -- 9. department-budgets ----------------------------------------------------------------------------------------

SUBJECTS = {
    "205": "教育支出", "20501": "教育管理事务", "2050101": "行政运行", "2050102": "一般行政管理事务",
    "2050199": "其他教育管理事务支出", "20502": "普通教育", "2050204": "高中教育", "2050205": "高等教育",
    "20503": "职业教育", "2050302": "中等职业教育", "2050305": "高等职业教育", "20508": "进修及培训",
    "2050803": "培训支出",
    "208": "社会保障和就业支出", "20802": "民政管理事务", "2080201": "行政运行", "2080202": "一般行政管理事务",
    "2080208": "基层政权建设和社区治理", "2080299": "其他民政管理事务支出", "20805": "行政事业单位养老支出",
    "2080501": "行政单位离退休", "2080505": "机关事业单位基本养老保险缴费支出", "2080506": "机关事业单位职业年金缴费支出",
    "20810": "社会福利", "2081001": "儿童福利", "2081002": "老年福利", "2081004": "殡葬", "20819": "最低生活保障",
    "2081901": "城市最低生活保障金支出", "2081902": "农村最低生活保障金支出", "20820": "临时救助",
    "2082001": "临时救助支出",
    "210": "卫生健康支出", "21001": "卫生健康管理事务", "2100101": "行政运行", "2100102": "一般行政管理事务",
    "21002": "公立医院", "2100201": "综合医院", "2100202": "中医（民族）医院", "21004": "公共卫生",
    "2100401": "疾病预防控制机构", "2100402": "卫生监督机构", "2100403": "妇幼保健机构", "2100408": "基本公共卫生服务",
    "2100409": "重大公共卫生服务", "21011": "行政事业单位医疗", "2101101": "行政单位医疗", "2101102": "事业单位医疗",
    "211": "节能环保支出", "21101": "环境保护管理事务", "2110101": "行政运行", "2110104": "生态环境保护宣传",
    "2110105": "环境保护法规、规划及标准", "2110199": "其他环境保护管理事务支出", "21102": "环境监测与监察",
    "2110203": "建设项目环评审查与监督", "2110299": "其他环境监测与监察支出", "21103": "污染防治", "2110301": "大气",
    "2110302": "水体", "2110307": "土壤",
    "221": "住房保障支出", "22102": "住房改革支出", "2210201": "住房公积金", "2210203": "购房补贴",
    "201": "一般公共服务支出", "20106": "财政事务", "2010601": "行政运行", "2010602": "一般行政管理事务",
    "2010607": "信息化建设", "2010608": "财政委托业务支出", "2010699": "其他财政事务支出",
}
DEPARTMENT_SUBJECTS = {
    "省民政厅": ["2080201", "2080202", "2080208", "2080299", "2080501", "2080505", "2080506", "2081001", "2081002",
             "2081004", "2081901", "2081902", "2082001", "2101101", "2101102", "2210201"],
    "省教育厅": ["2050101", "2050102", "2050199", "2050204", "2050205", "2050302", "2050305", "2050803", "2080505",
             "2080506", "2101101", "2101102", "2210201", "2210203"],
    "省卫生健康委": ["2100101", "2100102", "2100201", "2100202", "2100401", "2100402", "2100403", "2100408", "2100409",
               "2080505", "2080506", "2101101", "2101102", "2210201"],
    "省生态环境厅": ["2110101", "2110104", "2110105", "2110199", "2110203", "2110299", "2110301", "2110302", "2110307",
               "2080505", "2080506", "2101101", "2210201"],
    "省财政厅": ["2010601", "2010602", "2010607", "2010608", "2010699", "2080501", "2080505", "2080506", "2101101",
             "2210201"],
}
BUDGET_YEAR = 2024
DEPARTMENTS = Path(__file__).resolve().parent.parent / "agencies" / "departments.yaml"  # title → CKAN organization
BUDGET_COLUMNS: list[Column] = ["部门", "年度", ("项目", ["科目编码", "科目名称"]), "预算数", "决算数"]


def budget_rows() -> dict[str, list[dict[str, Any]]]:
    """Per department, rows 类 → 款 → 项 in table order; amounts in 万元 (two decimals, parts summing exactly)."""
    rng = random.Random(SEED + 9)
    out: dict[str, list[dict[str, Any]]] = {}
    for dept, items in DEPARTMENT_SUBJECTS.items():
        amounts: dict[str, tuple[int, int]] = {}
        for code in sorted(items):
            budget = rng.randint(2_000, 900_000)  # hundredths of 万元: 20 万元 – 9,000 万元
            final = round(budget * rng.uniform(0.82, 1.06))
            if rng.random() < 0.07:
                budget = 0  # added during the year
            elif rng.random() < 0.05:
                final = 0  # not spent
            amounts[code] = (budget, final)
        for code in list(amounts):
            for parent in (code[:5], code[:3]):
                b, f = amounts.get(parent, (0, 0))
                amounts[parent] = (b + amounts[code][0], f + amounts[code][1])
        rows = []
        for code in sorted(amounts):
            b, f = amounts[code]
            rows.append({"部门": dept, "年度": BUDGET_YEAR, "科目编码": code, "科目名称": SUBJECTS[code],
                         "预算数（万元）": b / 100, "决算数（万元）": f / 100})
        out[dept] = rows
    return out


def write_budgets(out: Path) -> list[Path]:
    import yaml

    inbox = {a["title"]: a["organization"] for a in yaml.safe_load(DEPARTMENTS.read_text("utf-8"))["agencies"]}
    paths = []
    for dept, rows in budget_rows().items():
        top = [r for r in rows if len(str(r["科目编码"])) == 3]
        total = ["", "", "合计", None, round(sum(r["预算数（万元）"] for r in top), 2),
                 round(sum(r["决算数（万元）"] for r in top), 2)]
        indent = {3: "", 5: "　　", 7: "　　　　"}
        body = [[r["部门"], r["年度"], r["科目编码"], indent[len(str(r["科目编码"]))] + str(r["科目名称"]),
                 r["预算数（万元）"], r["决算数（万元）"]] for r in rows]
        path = out / "department-budgets" / inbox[dept] / f"{BUDGET_YEAR}年度{dept}部门决算支出表（按功能分类科目）.xlsx"
        paths.append(write_sheet(path, "支出决算表", f"{dept}{BUDGET_YEAR}年度一般公共预算支出决算表（按功能分类科目）",
                                 "单位：万元", BUDGET_COLUMNS, [total, *body]))
    return paths


# -- 7. disaster-donations ----------------------------------------------------------------------------------------

DONATION_EVENTS = [
    ("JZ2025-01", "2025年7月香格里拉市洪涝灾害救灾捐赠", {"建塘镇": ["尼史村", "红坡村", "北门社区"],
                                                "小中甸镇": ["和平村", "联合村"]}),
    ("JZ2025-02", "2025年8月虎跳峡镇地质灾害救灾捐赠", {"虎跳峡镇": ["桥头村", "哈巴村", "江边村"]}),
]
REPORT_DATES = [dt.date(2025, 8, 31), dt.date(2025, 10, 31), dt.date(2025, 12, 31)]
GOODS = [("大米", "袋"), ("帐篷", "顶"), ("棉被", "床"), ("食用油", "桶"), ("饮用水", "箱"), (None, None)]
DONATION_COLUMNS = ["项目编号", "捐赠项目", "截至日期", "乡镇", "村（社区）", "捐赠资金", "物资名称", "物资数量", "计量单位",
                    "直接用于受助人的款物", "项目运行费用", "使用情况", "救助户数", "救助人数", "恢复重建进展（%）", "备注"]


def donation_rows() -> list[dict[str, Any]]:
    """Cumulative figures per event, village and report date (money in 元); progress only ever grows."""
    rng = random.Random(SEED + 7)
    rows = []
    for event_id, event, towns in DONATION_EVENTS:
        for town, villages in towns.items():
            for village in villages:
                received = used = cost = progress = 0
                households = rng.randint(6, 60)
                goods, unit = rng.choice(GOODS)
                quantity = 0
                for k, report in enumerate(REPORT_DATES):
                    received += rng.randint(20, 300) * 1000 if k < 2 else rng.randint(0, 30) * 1000
                    used = min(received, used + rng.randint(received // 4, received // 2))
                    cost = min(int(used * rng.uniform(0.02, 0.08)), received - used)
                    progress = min(100, progress + rng.randint(15, 45))
                    quantity += rng.randint(10, 200) if goods else 0
                    rows.append({
                        "项目编号": event_id, "捐赠项目": event, "截至日期": report, "乡镇": town, "村（社区）": village,
                        "捐赠资金": received, "物资名称": goods, "物资数量": quantity or None, "计量单位": unit,
                        "直接用于受助人的款物": used, "项目运行费用": cost,
                        "使用情况": rng.choice(["发放生活救助金和物资", "用于倒损住房维修加固补助", "用于过渡期生活救助",
                                            "用于灾后水毁道路和饮水设施修复"]),
                        "救助户数": households, "救助人数": households * rng.randint(2, 4),
                        "恢复重建进展（%）": progress,
                        "备注": "重建任务已全部完成" if progress == 100 else None,
                    })
    return rows


def _money(rng: random.Random, yuan: int) -> str:
    """Money as clerks write it in one column: 12.5万元 or 8,000元."""
    return f"{yuan / 10000:g}万元" if yuan >= 10000 and rng.random() < 0.6 else f"{yuan:,}元"


def write_donations(out: Path) -> list[Path]:
    rng = random.Random(SEED + 70)
    rows = donation_rows()
    paths = []
    first = []
    for r in rows:
        if r["截至日期"] != REPORT_DATES[0]:
            continue
        row = {k: ("/" if v is None else v) for k, v in r.items()}
        row["截至日期"] = zh_date(r["截至日期"])
        for k in ("捐赠资金", "直接用于受助人的款物", "项目运行费用"):
            row[k] = _money(rng, int(r[k]))
        first.append(row)
    path = out / "disaster-donations" / "救灾捐赠款物使用情况（截至2025年8月31日）.csv"
    write_csv(first, path, "utf-8")
    paths.append(path)
    columns: list[Column] = ["项目编号", "捐赠项目", "截至日期", "乡镇", "村（社区）", "捐赠资金",
                             ("捐赠物资", ["物资名称", "物资数量", "计量单位"]),
                             ("款物使用", ["直接用于受助人的款物", "项目运行费用", "使用情况"]),
                             ("救助对象", ["救助户数", "救助人数"]), "恢复重建进展（%）", "备注"]
    second = [[("/" if r[h] is None else r[h]) for h in DONATION_COLUMNS] for r in rows if r["截至日期"] == REPORT_DATES[1]]
    paths.append(write_sheet(out / "disaster-donations" / "救灾捐赠款物使用情况（截至2025年10月31日）.xlsx", "款物使用",
                             "香格里拉市救灾捐赠款物接收和使用情况公示", "单位：元", columns, second, date_columns=(2,)))
    third = []
    for r in rows:
        if r["截至日期"] != REPORT_DATES[2]:
            continue
        row = {(f"{k}（万元）" if k in ("捐赠资金", "直接用于受助人的款物", "项目运行费用") else k): v for k, v in r.items()}
        for k in ("捐赠资金（万元）", "直接用于受助人的款物（万元）", "项目运行费用（万元）"):
            row[k] = f"{int(row[k]) / 10000:.4f}".rstrip("0").rstrip(".")
        row["截至日期"] = slash_date(r["截至日期"])
        third.append({k: ("/" if v is None else v) for k, v in row.items()})
    path = out / "disaster-donations" / "救灾捐赠款物使用情况（截至2025年12月31日）.csv"
    write_csv(third, path, "gbk")
    paths.append(path)
    return paths


# -- 8. government-purchased-services -----------------------------------------------------------------------------

# (编码, 名称, 购买主体, 服务内容)
SERVICES: list[tuple[str, str, str | None, str | None]] = [
    ("A", "公共服务", None, None),
    ("A01", "公共教育服务", None, None),
    ("A0101", "学前教育保育服务", "教育部门", "普惠性幼儿园保育教育辅助服务"),
    ("A0102", "学生资助事务性服务", "教育部门", "资助对象信息核对、资助政策宣传等事务性工作"),
    ("A04", "社会救助服务", None, None),
    ("A0401", "最低生活保障对象家庭经济状况核查服务", "民政部门", "入户调查、信息比对、动态复核等事务性工作"),
    ("A0402", "困难群众探访关爱服务", "民政部门", "对分散供养特困人员、低保对象等开展探访、照料和心理疏导"),
    ("A0403", "临时救助事务性服务", "民政部门", "临时救助申请受理协助、信息录入和回访"),
    ("A05", "养老服务", None, None),
    ("A0501", "居家养老上门服务", "民政部门", "助餐、助洁、助浴、助医等上门服务"),
    ("A0502", "老年人能力评估服务", "民政部门", "老年人能力综合评估"),
    ("A0503", "公办养老机构运营服务", "民政部门", "公建民营养老机构运营管理"),
    ("A07", "残疾人服务", None, None),
    ("A0701", "残疾人康复服务", "残联", "残疾儿童康复训练、辅助器具适配"),
    ("A12", "公共文化服务", None, None),
    ("A1201", "公共文化设施运营管理服务", "文化和旅游部门", "图书馆、文化馆、博物馆的运营管理和免费开放辅助服务"),
    ("A1202", "公益性文艺演出和群众文化活动组织", "文化和旅游部门", "送戏下乡、群众文化活动策划与组织"),
    ("A1203", "非物质文化遗产保护传承服务", "文化和旅游部门", "非遗调查记录、传承人培训和展示展演"),
    ("A1204", "数字文化资源建设服务", "文化和旅游部门", "公共数字文化资源采集、加工和平台运维"),
    ("A13", "公共体育服务", None, None),
    ("A1301", "公共体育设施运营管理服务", "体育部门", "体育场馆免费或低收费开放的运营管理"),
    ("A1302", "全民健身活动组织服务", "体育部门", "全民健身赛事和活动的组织实施"),
    ("A1303", "国民体质监测服务", "体育部门", "国民体质监测数据采集和分析"),
    ("A1304", "社会体育指导员培训服务", "体育部门", "社会体育指导员培训与考核"),
    ("A15", "生态环境保护服务", None, None),
    ("A1501", "生态环境监测服务", "生态环境部门", "环境质量和污染源监测辅助服务"),
    ("A1502", "污染源调查服务", "生态环境部门", "排污单位和污染源调查、名录更新"),
    ("B", "政府履职辅助性服务", None, None),
    ("B01", "法律服务", None, None),
    ("B0101", "法律顾问服务", "各级行政机关", "合同审查、法律咨询和诉讼代理"),
    ("B0102", "法律援助服务", "司法行政部门", "为经济困难群众提供法律援助"),
    ("B02", "课题研究和社会调查服务", None, None),
    ("B0201", "课题研究服务", "各级行政机关", "政策研究和规划编制辅助"),
    ("B0202", "社会调查服务", "各级行政机关", "满意度调查和民意调查"),
    ("B03", "财务会计审计服务", None, None),
    ("B0301", "预算绩效评价服务", "财政部门、预算部门", "项目支出和部门整体支出绩效评价"),
    ("B0302", "审计服务", "审计部门、预算部门", "专项资金审计、竣工决算审计辅助"),
    ("B06", "信息化服务", None, None),
    ("B0601", "信息系统运行维护服务", "各级行政机关", "政务信息系统和网站的运行维护"),
    ("B0602", "数据处理服务", "各级行政机关", "数据采集、录入、清洗和统计分析"),
]
SERVICE_COLUMNS = ["目录编码", "目录名称", "级次", "购买主体", "服务内容", "备注"]


def service_rows() -> list[dict[str, Any]]:
    level = {1: "一级", 3: "二级", 5: "三级"}
    rows = []
    for code, name, buyer, content in SERVICES:
        rows.append({"目录编码": code, "目录名称": name, "级次": level[len(code)], "购买主体": buyer, "服务内容": content,
                     "备注": "不得将应由政府直接履职的事项纳入购买" if code == "B" else None})
    return rows


def write_services(out: Path) -> list[Path]:
    rows = [[("/" if r[h] is None else r[h]) for h in SERVICE_COLUMNS] for r in service_rows()]
    return [write_sheet(out / "government-purchased-services" / "云南省政府购买服务指导性目录（2025年版）.xlsx",
                        "指导性目录", "云南省政府购买服务指导性目录（2025年版）",
                        "说明：本目录为指导性目录，各部门可在三级目录范围内确定具体购买事项；购买主体为相应的行政机关。",
                        SERVICE_COLUMNS, rows)]


# -- all --------------------------------------------------------------------------------------------------------

def generate(out: Path) -> list[Path]:
    """Write every sample of the group under ``out/<dataset-id>/``; returns the paths."""
    return [*write_food(out), *write_licensing(out), *write_penalties(out), *write_polluters(out), *write_water(out),
            *write_eia(out), *write_budgets(out), *write_donations(out), *write_services(out)]


if __name__ == "__main__":
    for p in generate(Path(__file__).resolve().parent):
        print(p)
