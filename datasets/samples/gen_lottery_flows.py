"""Sample source of ``lottery-fund-flows``: 迪庆州's real 2023 sports-lottery distribution, as an edge list.

The figures are those 迪庆州 published for its 2023 体育彩票公益金 (万元; /work/shared/domain.md, "Small real
figures"): 本级留用 1,024.90 and 上年结余 464.14; 体育部门 656.90, of which 州本级 320.90 (场地设施 143.40, 组织队伍
17.00, 全民健身活动 126.50, 科研宣传 10.00, 后备人才 24.00) and county subsidies 336 (香格里拉 148, 维西 99, 德钦 89);
财政部门 362.14; 年末结余 470.00. Written in the shape a journalist received it — ``year,fund,from,to,
amount_wan_yuan,stage``, UTF-8, no ids, every use marked 支出 — so every level adds up and the file is clean.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

YEAR, FUND = 2023, "体育彩票公益金"
EDGES = [  # (from, to, 万元, stage)
    ("迪庆州本级留用", "迪庆州本级", "1024.90", "下达"),
    ("上年结余", "迪庆州本级", "464.14", "结余"),
    ("迪庆州本级", "迪庆州体育部门", "656.90", "支出"),
    ("迪庆州体育部门", "州本级", "320.90", "支出"),
    ("州本级", "场地设施", "143.40", "支出"),
    ("州本级", "组织队伍", "17.00", "支出"),
    ("州本级", "全民健身活动", "126.50", "支出"),
    ("州本级", "科研宣传", "10.00", "支出"),
    ("州本级", "后备人才", "24.00", "支出"),
    ("迪庆州体育部门", "香格里拉市", "148", "支出"),
    ("迪庆州体育部门", "维西县", "99", "支出"),
    ("迪庆州体育部门", "德钦县", "89", "支出"),
    ("迪庆州本级", "迪庆州财政部门", "362.14", "支出"),
    ("迪庆州本级", "年末结余", "470.00", "结余"),
]


def rows() -> list[dict[str, str]]:
    return [{"year": str(YEAR), "fund": FUND, "from": a, "to": b, "amount_wan_yuan": v, "stage": s}
            for a, b, v, s in EDGES]


def generate(out: Path) -> list[Path]:
    path = out / "lottery-fund-flows" / f"迪庆州{YEAR}年体育彩票公益金分配使用.csv"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows()[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return [path]


if __name__ == "__main__":
    for p in generate(Path(__file__).resolve().parent):
        print(p)
