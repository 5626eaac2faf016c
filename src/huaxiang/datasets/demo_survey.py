"""``survey.xlsx``: a 问卷星-style export of a customer survey for a sample of CRM customers.

Planted: answers given in under three minutes (``所用时间`` < 180 s) and logically contradictory
answers ("从未购买" in the last six months together with "每周" as the buying habit).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from huaxiang.datasets import demo_vocab as V
from huaxiang.datasets.demo_fmt import SECONDS_PER_DAY, datetimes, to_strings
from huaxiang.datasets.demo_people import CRM_ID_BASE, People, by_segment

SHEET = "答卷数据"
MAX_ROWS = 20_000
FAST_SECONDS = 180
Q_AGE = "1、您的年龄段"
Q_GENDER = "2、您的性别"
Q_REASON = "3、您购买的主要原因(多选)"
Q_SATISFACTION = "4、您的满意度"
Q_IMPROVE = "5、您希望改进的地方"
Q_FREQUENCY = "6、近6个月您购买了几次"
Q_HABIT = "7、您通常多久购买一次"
Q_INFO = "8、您通过哪些渠道了解我们的产品(多选)"
HEADER = (
    "序号",
    "客户编号",
    "开始答题时间",
    "提交答卷时间",
    "所用时间",
    "来源",
    Q_AGE,
    Q_GENDER,
    *(f"{Q_REASON}:{r}" for r in V.SURVEY_REASONS),
    Q_SATISFACTION,
    Q_IMPROVE,
    Q_FREQUENCY,
    Q_HABIT,
    Q_INFO,
)
# usual buying frequency per segment (order of SURVEY_FREQUENCY) and the habit each implies
FREQUENCY_BY_SEGMENT = (
    (0.0, 0.05, 0.30, 0.65),
    (0.01, 0.25, 0.50, 0.24),
    (0.02, 0.35, 0.45, 0.18),
    (0.10, 0.55, 0.30, 0.05),
)
HABIT_BY_FREQUENCY = (
    (0.0, 0.0, 0.0, 1.0),
    (0.0, 0.05, 0.55, 0.40),
    (0.05, 0.60, 0.35, 0.0),
    (0.45, 0.55, 0.0, 0.0),
)


def write_survey(path: Path, people: People, seed: int, as_of: date) -> dict[str, Any]:
    rng = np.random.default_rng([seed, 4])
    p = people
    individuals = np.flatnonzero(~p.company[: p.n_crm])
    k = int(min(MAX_ROWS, max(1, round(0.03 * p.n_crm)), individuals.size))
    who = np.sort(rng.choice(individuals, size=k, replace=False))
    rng.shuffle(who)
    seg = p.seg[who]
    duration = rng.integers(FAST_SECONDS, 1200, k)
    fast = rng.random(k) < 0.12
    duration[fast] = rng.integers(35, FAST_SECONDS, int(fast.sum()))
    start = (p.as_of_day - 60) * SECONDS_PER_DAY + (rng.random(k) * 59 * SECONDS_PER_DAY).astype(
        np.int64
    )
    start = np.sort(start)
    submit = start + duration
    started = to_strings(datetimes(start, "%Y/%-m/%-d %H:%M:%S"))
    submitted = to_strings(datetimes(submit, "%Y/%-m/%-d %H:%M:%S"))

    age = p.age[who]
    age_band = np.searchsorted([26, 36, 46], age, side="right")
    reasons = rng.random((k, len(V.SURVEY_REASONS))) < np.asarray(V.REASON_BY_SEGMENT)[seg]
    none = ~reasons.any(axis=1)
    reasons[none, 0] = True
    satisfaction = by_segment(rng, seg, V.SATISFACTION_BY_SEGMENT) + 1
    improve = by_segment(rng, seg, V.IMPROVE_BY_SEGMENT)
    frequency = by_segment(rng, seg, FREQUENCY_BY_SEGMENT)
    habit = by_segment(rng, frequency.astype(np.int8), HABIT_BY_FREQUENCY)
    contradictory = rng.random(k) < 0.03
    frequency[contradictory] = 0
    habit[contradictory] = 0
    info = rng.random((k, len(V.SURVEY_INFO))) < 0.3
    info[~info.any(axis=1), 3] = True
    anonymous = rng.random(k) < 0.02
    source = rng.choice(len(V.SURVEY_SOURCES), k, p=[0.6, 0.3, 0.1])

    rows: list[list[Any]] = []
    for i in range(k):  # at most MAX_ROWS rows
        rows.append(
            [
                i + 1,
                None if anonymous[i] else f"C{who[i] + CRM_ID_BASE:08d}",
                started[i],
                submitted[i],
                f"{duration[i]}秒",
                V.SURVEY_SOURCES[source[i]],
                V.SURVEY_AGE_BANDS[age_band[i]],
                "女" if p.female[who[i]] else "男",
                *(int(x) for x in reasons[i]),
                int(satisfaction[i]),
                V.SURVEY_IMPROVE[improve[i]] or None,
                V.SURVEY_FREQUENCY[frequency[i]],
                V.SURVEY_HABIT[habit[i]],
                "┋".join(o for o, on in zip(V.SURVEY_INFO, info[i], strict=True) if on),
            ]
        )
    _write_xlsx(path, rows, as_of)
    return {
        "rows": k,
        "sheet": SHEET,
        "too_fast": int(fast.sum()),
        "contradictory": int(contradictory.sum()),
        "invalid": int((fast | contradictory).sum()),
        "valid": int(k - (fast | contradictory).sum()),
        "anonymous": int(anonymous.sum()),
        "share_of_customers": round(k / p.n_crm, 4),
    }


def _write_xlsx(path: Path, rows: list[list[Any]], as_of: date) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    ws.append(list(HEADER))
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    _normalise_zip(buf.getvalue(), path, as_of)


def _normalise_zip(raw: bytes, path: Path, as_of: date) -> None:
    """Rewrite the workbook with fixed timestamps so the same seed gives the same bytes."""
    stamp = f"{as_of.isoformat()}T00:00:00Z"
    when = (as_of.year, as_of.month, as_of.day, 0, 0, 0)
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*", rf"\g<1>{stamp}", text)
                data = text.encode("utf-8")
            item = zipfile.ZipInfo(info.filename, date_time=when)
            item.compress_type = zipfile.ZIP_DEFLATED
            item.external_attr = 0o600 << 16
            out.writestr(item, data)
