"""Controlled vocabularies shared by specs, reports and (later) the CKAN mapping."""

from __future__ import annotations

DOMAINS: dict[str, str] = {
    "poverty-alleviation": "脱贫攻坚",
    "social-assistance": "社会救助和社会福利",
    "education": "教育",
    "health": "基本医疗卫生",
    "environment": "环境保护",
    "disaster-relief": "灾害事故救援",
    "culture-sports": "公共文化体育",
    "budget": "预决算",
    "open-government": "政务公开",  # the 条例's own duties: 依申请公开, annual reports
}

FREQUENCIES: dict[str, str] = {
    "daily": "每日",
    "weekly": "每周",
    "monthly": "每月",
    "quarterly": "每季度",
    "half-yearly": "每半年",
    "yearly": "每年",
    "irregular": "不定期",
}

DISCLOSURE = ("主动公开", "依申请公开", "不予公开")

# Money and count units a source may use, with their factor to the base unit.
UNITS: dict[str, tuple[str, int]] = {
    "元": ("元", 1),
    "千元": ("元", 1_000),
    "万元": ("元", 10_000),
    "亿元": ("元", 100_000_000),
    "人": ("人", 1),
    "万人": ("人", 10_000),
    "户": ("户", 1),
    "万户": ("户", 10_000),
    "人次": ("人次", 1),
    "万人次": ("人次", 10_000),
    "吨": ("吨", 1),
    "万吨": ("吨", 10_000),
}


def unit_factor(source_unit: str, target_unit: str) -> int | float:
    """How many ``target_unit`` one ``source_unit`` is, e.g. 万元 → 元 = 10000."""
    s_base, s_factor = UNITS[source_unit]
    t_base, t_factor = UNITS[target_unit]
    if s_base != t_base:
        raise ValueError(f"单位「{source_unit}」不能换算为「{target_unit}」")
    return s_factor // t_factor if s_factor % t_factor == 0 else s_factor / t_factor
