"""Source limits: what a careless or hostile source file may cost before it is refused.

A FIFO blocks forever on open, a link to ``/dev/zero`` never ends, a 3 MB XLSX can hold a 3 GB string, a CSV
without line breaks makes every line reader load the whole file. Each is refused here, before any library reads
the file, with a clear message: only regular files (``os.stat`` follows links), at most
:attr:`SourceLimits.max_file_bytes`; an XLSX's members at most ``max_xlsx_uncompressed`` bytes and
``max_xlsx_ratio`` times their compressed size (read from the zip's central directory, nothing inflated);
a CSV line at most ``max_line_bytes`` (the header lines here, every line in DuckDB's reader).
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..errors import SourceError
from ..settings import SourceLimits

RATIO_FLOOR = 8 << 20  # members smaller than this (uncompressed) are never refused for their ratio
HINT_LIMITS = "如确需处理更大的文件，可调整 GONGKAI_MAX_SOURCE_BYTES 等限制（见 docs/concepts.md）。"


def _mb(n: int) -> str:
    return f"{n / (1 << 20):,.0f} MB"


def check_file(path: Path, limits: SourceLimits) -> None:
    """Refuse anything but a regular file of bounded size (before it is opened: opening a FIFO blocks)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise SourceError(f"找不到源文件 {path}", "检查数据集说明中 source.path 的路径，或用 --source 指定文件。",
                          code="source-error", file=str(path)) from None
    except OSError as e:
        raise SourceError(f"无法读取源文件 {path.name}：{e.strerror}", "检查文件是否存在、是否有读取权限。",
                          code="source-error", file=path.name) from None
    if stat.S_ISDIR(st.st_mode):
        raise SourceError(f"{path} 是目录，不是文件", code="source-error", file=str(path))
    if not stat.S_ISREG(st.st_mode):
        kind = ("命名管道（FIFO）" if stat.S_ISFIFO(st.st_mode) else "设备文件" if stat.S_ISCHR(st.st_mode) or
                stat.S_ISBLK(st.st_mode) else "套接字" if stat.S_ISSOCK(st.st_mode) else "特殊文件")
        raise SourceError(f"源文件 {path.name} 是{kind}，不是普通文件，拒绝读取",
                          "请提供导出后保存在磁盘上的普通文件（CSV、XLSX、XLS 或 JSON）。",
                          code="source-error", file=path.name)
    if st.st_size > limits.max_file_bytes:
        raise SourceError(f"源文件 {path.name} 有 {_mb(st.st_size)}，超过上限 {_mb(limits.max_file_bytes)}",
                          "请确认导出的范围是否正确，或把数据按年度、地区拆成多个文件。" + HINT_LIMITS,
                          code="source-too-large", file=path.name)


def check_xlsx(path: Path, limits: SourceLimits) -> None:
    """Refuse a workbook that would inflate past the limits (a zip bomb), from the sizes its zip declares."""
    try:
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, OSError):
        return  # the reader reports a damaged file in its own words
    total = sum(m.file_size for m in members)
    if total > limits.max_xlsx_uncompressed:
        raise SourceError(f"Excel 文件 {path.name} 解压后有 {_mb(total)}，超过上限 {_mb(limits.max_xlsx_uncompressed)}",
                          "文件可能含有异常巨大的单元格或是恶意构造的压缩包。请在 Excel 中检查后另存，或拆分为多个文件。"
                          + HINT_LIMITS, code="source-too-large", file=path.name)
    for m in members:
        if m.file_size > RATIO_FLOOR and m.file_size > limits.max_xlsx_ratio * max(m.compress_size, 1):
            raise SourceError(f"Excel 文件 {path.name} 中的 {m.filename} 压缩比为 "
                              f"{m.file_size // max(m.compress_size, 1):,} 倍（上限 {limits.max_xlsx_ratio} 倍），"
                              "疑似压缩炸弹，拒绝读取",
                              "正常的工作簿不会有如此高的压缩比。请在 Excel 中打开检查，删除异常单元格后另存。",
                              code="source-too-large", file=path.name)


def bounded_lines(f: IO[str], count: int, limits: SourceLimits, name: str) -> Iterator[str]:
    """The first ``count`` lines of a text file, refusing a line longer than the limit without reading it whole."""
    for n in range(1, count + 1):
        line = f.readline(limits.max_line_bytes + 1)
        if not line:
            return
        if len(line) > limits.max_line_bytes and not line.endswith("\n"):
            raise line_too_long(name, n, limits)
        yield line


def line_too_long(name: str, line: int | None, limits: SourceLimits) -> SourceError:
    where = f"第 {line} 行" if line else "有一行"
    return SourceError(f"文件 {name} {where}超过 {_mb(limits.max_line_bytes)}，不像是表格数据",
                       "请确认文件是按行导出的 CSV（每行一条记录），检查是否缺少换行符或引号未闭合。" + HINT_LIMITS,
                       code="format-error", file=name, row=line)
