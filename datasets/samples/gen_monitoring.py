"""Sample sources of the monitoring and registry datasets (group ``monitoring``).

- ``key-polluter-emissions``: 重点排污单位 self-monitoring results of units from the ``key-polluters`` list (same
  names and credit codes); H1 2025 as an XLSX (title, 填报单位 and 单位 note), H2 as a UTF-8-with-BOM CSV with
  full-width digits and Chinese dates; two results over their limit, declared 超标;
- ``drinking-water-supply-quality``: 出厂水 and 龙头水 results of the plants fed by the ``drinking-water-quality``
  sources, against GB 5749-2022 limits written as published (≤1, ≥0.05, 6.5-8.5, 不得检出); Q3 2025 as a GBK CSV
  with Chinese dates (some in full-width digits), Q4 as an XLSX with title and note; two results 不达标;
- ``social-organizations``: the 社会组织 registry with each year's 年检（年报）结论, 评估等级 and 行政处罚; 2023 as a
  UTF-8-with-BOM CSV (Chinese dates, full-width digits), 2024 as an XLSX with title and 截至 note; both carry the
  法定代表人 column agencies keep, which must never be published;

Fixed seeds and dates: the files are the same on every run.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parent) not in sys.path:  # generate.py normally does this
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_regulatory import FULLWIDTH, WORDS, polluter_rows, uscc, write_sheet, zh_date
from generate import _name, write_csv

SEED = 20251217

# -- 1. key-polluter-emissions -------------------------------------------------------------------------------------

# 重点单位类别 → outlets (排放口名称, 排放方式, unit, [(污染物, 标准限值, typical share of the limit)])
OUTLETS: dict[str, list[tuple[str, str, str, list[tuple[str, float, float]]]]] = {
    "水": [("废水总排放口", "连续排放", "mg/L", [("化学需氧量", 50.0, 0.5), ("氨氮", 5.0, 0.4), ("总磷", 0.5, 0.5)])],
    "大气": [("1#排气筒", "有组织排放", "mg/m³", [("颗粒物", 20.0, 0.45), ("二氧化硫", 100.0, 0.4),
                                               ("氮氧化物", 150.0, 0.55)])],
}
# (统一社会信用代码 position in the list, 污染物, 半年) of the planted 超标 results
EXCEEDED = {(2, "氨氮", 1), (5, "颗粒物", 2)}
EMISSION_COLUMNS = ["单位名称", "统一社会信用代码", "行政区划代码", "排放口编号", "排放口名称", "排放方式", "主要污染物",
                    "监测日期", "排放浓度", "浓度单位", "标准限值", "超标情况", "排放总量（吨）", "核定排放总量（吨）"]


def emission_rows() -> list[dict[str, Any]]:
    """Half-yearly results per unit, outlet and pollutant of the 2025 水 and 大气 units."""
    rng = random.Random(SEED + 1)
    units: dict[str, dict[str, Any]] = {}
    for r in polluter_rows()[2025]:
        if r["重点单位类别"] in OUTLETS:
            units.setdefault(r["统一社会信用代码"], {"row": r, "cats": []})["cats"].append(r["重点单位类别"])
    rows = []
    for half in (1, 2):
        for k, (code, u) in enumerate(list(units.items())[:14]):
            r = u["row"]
            for cat in u["cats"]:
                for n, (outlet, mode, unit, pollutants) in enumerate(OUTLETS[cat], start=1):
                    outlet_no = f"{'DW' if cat == '水' else 'DA'}{n:03d}"
                    day = dt.date(2025, 6 if half == 1 else 12, rng.randint(3, 20))
                    for pollutant, limit, share in pollutants:
                        conc = round(limit * share * rng.uniform(0.6, 1.3), 2)
                        if (k, pollutant, half) in EXCEEDED:
                            conc = round(limit * rng.uniform(1.1, 1.6), 2)
                        permitted = round(rng.uniform(5, 120), 2)
                        rows.append({"单位名称": r["单位名称"], "统一社会信用代码": code, "行政区划代码": r["行政区划代码"],
                                     "排放口编号": outlet_no, "排放口名称": outlet, "排放方式": mode, "主要污染物": pollutant,
                                     "监测日期": day, "排放浓度": conc, "浓度单位": unit, "标准限值": limit,
                                     "超标情况": "超标" if conc > limit else "未超标",
                                     "排放总量（吨）": round(permitted * rng.uniform(0.2, 0.48), 3),
                                     "核定排放总量（吨）": permitted})
    return rows


def write_emissions(out: Path) -> list[Path]:
    rows = emission_rows()
    h1 = [r for r in rows if r["监测日期"].month <= 6]
    xlsx = write_sheet(out / "key-polluter-emissions" / "2025年上半年重点排污单位自行监测结果.xlsx", "监测结果",
                       "云南省重点排污单位2025年上半年污染物排放情况", "填报单位：云南省生态环境厅　　排放总量单位：吨",
                       EMISSION_COLUMNS, [[r[h] for h in EMISSION_COLUMNS] for r in h1], date_columns=(7,))
    h2 = []
    for i, r in enumerate(r for r in rows if r["监测日期"].month > 6):
        row = {**r, "监测日期": zh_date(r["监测日期"])}
        if i % 5 == 0:
            row["排放浓度"] = f"{r['排放浓度']}".translate(FULLWIDTH)
        h2.append(row)
    csv_path = out / "key-polluter-emissions" / "2025年下半年重点排污单位自行监测结果.csv"
    write_csv(h2, csv_path, "utf-8-sig")
    return [xlsx, csv_path]


# -- 2. drinking-water-supply-quality --------------------------------------------------------------------------------

# 城市, 水厂, 龙头水 采样点
PLANTS = [("昆明市", "昆明市第七水厂", ["五华区翠湖社区", "盘龙区金辰街道"]),
          ("昆明市", "昆明市第五水厂", ["官渡区关上街道", "西山区前卫街道"]),
          ("曲靖市", "曲靖市潇湘水厂", ["麒麟区南宁街道"]), ("大理市", "大理市第二水厂", ["大理市下关街道"]),
          ("蒙自市", "蒙自市五里冲水厂", ["蒙自市文澜街道"]), ("香格里拉市", "香格里拉市纳曲河水厂", ["香格里拉市建塘镇"])]
# 指标, 单位, 出厂水限值, 龙头水限值, typical value range
INDICATORS: list[tuple[str, str, str, str, tuple[float, float]]] = [
    ("浑浊度", "NTU", "≤1", "≤1", (0.1, 0.6)), ("色度", "度", "≤15", "≤15", (2, 8)),
    ("pH", "无量纲", "6.5-8.5", "6.5-8.5", (6.9, 8.0)), ("耗氧量", "mg/L", "≤3", "≤3", (0.5, 1.8)),
    ("氨(以N计)", "mg/L", "≤0.5", "≤0.5", (0.02, 0.2)), ("菌落总数", "MPN/mL", "≤100", "≤100", (0, 30)),
    ("总大肠菌群", "MPN/100mL", "不得检出", "不得检出", (0, 0)), ("游离氯", "mg/L", "≥0.3", "≥0.05", (0.35, 0.8)),
]
# (采样点, 季度, 指标) → the planted 不达标 value
FAILED = {("盘龙区金辰街道", 3, "游离氯"): "0.03", ("蒙自市五里冲水厂", 4, "浑浊度"): "1.3"}
SUPPLY_COLUMNS = ["城市", "水厂名称", "水样类型", "采样点", "采样日期", "检测指标", "单位", "限值", "检测值", "是否达标"]


def _meets(value: str, limit: str) -> bool:
    x = 0.0 if value == "未检出" else float(value)
    if limit == "不得检出":
        return value == "未检出"
    if limit.startswith("≤"):
        return x <= float(limit[1:])
    if limit.startswith("≥"):
        return x >= float(limit[1:])
    low, high = limit.split("-")
    return float(low) <= x <= float(high)


def supply_rows() -> list[dict[str, Any]]:
    """Quarterly results per plant (出厂水) and tap (龙头水) and indicator, Q3 and Q4 2025."""
    rng = random.Random(SEED + 2)
    rows = []
    for q in (3, 4):
        for city, plant, taps in PLANTS:
            day = dt.date(2025, 3 * q - 1, rng.randint(3, 25))
            for kind, site in [("出厂水", plant), *(("龙头水", t) for t in taps)]:
                for name, unit, plant_limit, tap_limit, (low, high) in INDICATORS:
                    limit = plant_limit if kind == "出厂水" else tap_limit
                    v = rng.uniform(low, high) * (0.4 if kind == "龙头水" and name == "游离氯" else 1)
                    value = "未检出" if high == 0 else (f"{round(v)}" if high >= 10 else f"{v:.2f}")
                    value = FAILED.get((site, q, name), value)
                    rows.append({"城市": city, "水厂名称": plant, "水样类型": kind, "采样点": site, "采样日期": day,
                                 "检测指标": name, "单位": unit, "限值": limit, "检测值": value,
                                 "是否达标": "达标" if _meets(value, limit) else "不达标"})
    return rows


def write_supply(out: Path) -> list[Path]:
    rows = supply_rows()
    q3 = []
    for r in (r for r in rows if r["采样日期"].month <= 9):
        date = zh_date(r["采样日期"])
        q3.append({**r, "采样日期": date.translate(FULLWIDTH) if r["水样类型"] == "龙头水" else date})
    csv_path = out / "drinking-water-supply-quality" / "2025年第三季度城市供水水质检测结果.csv"
    write_csv(q3, csv_path, "gbk")
    q4 = [[r[h] for h in SUPPLY_COLUMNS] for r in rows if r["采样日期"].month > 9]
    xlsx = write_sheet(out / "drinking-water-supply-quality" / "2025年第四季度城市供水水质检测结果.xlsx", "水质检测",
                       "2025年第四季度城市供水（出厂水、龙头水）水质检测结果",
                       "依据：GB 5749-2022《生活饮用水卫生标准》　　单位：见各指标", SUPPLY_COLUMNS, q4, date_columns=(4,))
    return [csv_path, xlsx]


# -- 3. social-organizations ---------------------------------------------------------------------------------------

# 登记管理机关 and its region code
REGISTRARS = [("云南省民政厅", "530000"), ("昆明市民政局", "530100"), ("曲靖市民政局", "530300"),
              ("昆明市五华区民政局", "530102")]
# 类型, credit-code prefix, name pattern, 业务主管单位 (None: 直接登记)
ORG_KINDS: list[tuple[str, str, str, str | None]] = [
    ("社会团体", "51", "{place}{w}行业协会", None), ("社会团体", "51", "{place}{w}文化研究会", "{place}文化和旅游局"),
    ("民办非企业单位", "52", "{place}{w}社会工作服务中心", None), ("民办非企业单位", "52", "{place}{w}养老服务中心", None),
    ("民办非企业单位", "52", "{place}{w}职业培训学校", "{place}人力资源和社会保障局"),
    ("基金会", "53", "{place}{w}慈善基金会", None), ("基金会", "53", "{place}{w}教育发展基金会", "{place}教育局"),
]
CONCLUSIONS = ["合格"] * 8 + ["基本合格", "不合格"]
# (organisation index, 年度) → 结论 and 行政处罚 planted
ORG_EVENTS = {(3, 2023): ("未参加年检", None),
              (3, 2024): ("未参加年检", "2025年4月18日因连续两年未参加年检被列入活动异常名录"),
              (7, 2024): ("不合格", "2025年3月6日因未按规定报送年度工作报告被警告")}
ORG_COLUMNS = ["统一社会信用代码", "社会组织名称", "社会组织类型", "登记管理机关", "成立登记日期", "业务主管单位",
               "法定代表人", "年度", "年检（年报）结论", "评估等级", "行政处罚情况"]


def organisations() -> list[dict[str, Any]]:
    """The registered organisations (fixed names, codes and dates)."""
    rng = random.Random(SEED + 3)
    orgs = []
    for n in range(24):
        kind, prefix, pattern, supervisor = ORG_KINDS[n % len(ORG_KINDS)]
        registrar, region = REGISTRARS[rng.randrange(len(REGISTRARS))]
        place = registrar.removesuffix("民政厅").removesuffix("民政局")
        registered = dt.date(rng.randint(2008, 2024), rng.randint(1, 12), rng.randint(1, 28))
        orgs.append({"统一社会信用代码": uscc(rng, prefix, region), "社会组织名称": pattern.format(place=place, w=WORDS[n % 20]),
                     "社会组织类型": kind, "登记管理机关": registrar, "成立登记日期": registered,
                     "业务主管单位": supervisor.format(place=place) if supervisor else "无（直接登记）",
                     "法定代表人": _name(rng), "评估等级": rng.choice(["5A", "4A", "3A", "3A", "2A", "1A", None, None])})
    return orgs


def organisation_rows() -> list[dict[str, Any]]:
    """One row per organisation and 年检 year it was registered for."""
    rng = random.Random(SEED + 4)
    rows = []
    for year in (2023, 2024):
        for k, o in enumerate(organisations()):
            if o["成立登记日期"].year > year:
                continue
            conclusion, penalty = ORG_EVENTS.get((k, year), (rng.choice(CONCLUSIONS), None))
            rows.append({**o, "年度": year, "年检（年报）结论": conclusion, "行政处罚情况": penalty})
    return [{h: r[h] for h in ORG_COLUMNS} for r in rows]


def write_organisations(out: Path) -> list[Path]:
    rows = organisation_rows()
    old = []
    for i, r in enumerate(r for r in rows if r["年度"] == 2023):
        row = {k: ("/" if v is None else v) for k, v in r.items()}
        row["成立登记日期"] = zh_date(r["成立登记日期"])
        if i % 4 == 0:
            row["成立登记日期"] = row["成立登记日期"].translate(FULLWIDTH)
            row["年度"] = str(r["年度"]).translate(FULLWIDTH)
        old.append(row)
    csv_path = out / "social-organizations" / "2023年度社会组织年检结果.csv"
    write_csv(old, csv_path, "utf-8-sig")
    new = [[("/" if r[h] is None else r[h]) for h in ORG_COLUMNS] for r in rows if r["年度"] == 2024]
    xlsx = write_sheet(out / "social-organizations" / "2024年度社会组织年检结果.xlsx", "年检结果",
                       "云南省2024年度社会组织年度检查（年报）结果公告", "数据截至：2025年6月30日", ORG_COLUMNS, new,
                       date_columns=(4,))
    return [csv_path, xlsx]


def generate(out: Path) -> list[Path]:
    """Write every sample of the group under ``out/<dataset-id>/``; returns the paths."""
    return [*write_emissions(out), *write_supply(out), *write_organisations(out)]


if __name__ == "__main__":
    for p in generate(Path(__file__).resolve().parent):
        print(p)
