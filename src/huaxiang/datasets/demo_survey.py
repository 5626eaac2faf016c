"""``survey.xlsx``: a 问卷星-style export of a customer survey for a sample of CRM customers.

Planted: answers given in under three minutes (``所用时间`` < 180 s) and logically contradictory
answers ("从未购买" in the last six months together with "每周" as the buying habit).

Besides the satisfaction questions: four KANO feature pairs (48小时送达, 定制化包装, 专属客服,
以旧换新; whether a feature is must-be, one-dimensional, attractive or indifferent differs by
segment) and the competitors the respondent also bought from, each rated 1-5 by its buyers.
:func:`survey_definition` is the matching ``surveys/customer_survey.yaml``.
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
# KANO: per feature "if we offer it" (functional) and "if we do not" (dysfunctional)
Q_KANO = tuple(
    (f"{9 + 2 * i}、如果提供{f}，您的感受是", f"{10 + 2 * i}、如果不提供{f}，您的感受是")
    for i, f in enumerate(V.KANO_FEATURES)
)
Q_COMPETITORS = "17、近半年您还在以下哪些品牌购买过(多选)"
Q_COMPETITOR_RATINGS = tuple(f"{18 + i}、您对{b}的满意度" for i, b in enumerate(V.COMPETITORS))
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
    *(q for pair in Q_KANO for q in pair),
    Q_COMPETITORS,
    *Q_COMPETITOR_RATINGS,
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
    kano, bought, ratings = _kano_and_competitors(np.random.default_rng([seed, 4, 1]), seg)

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
                *(V.KANO_ANSWERS[a] for a in kano[i]),
                "┋".join(b for b, on in zip(V.COMPETITORS, bought[i], strict=True) if on)
                or V.COMPETITOR_NONE,
                *(int(r) if r else None for r in ratings[i]),
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


# the answers (indexes into KANO_ANSWERS: like, must-be, neutral, live-with, dislike) that
# express each true category, with their probabilities
_FUNCTIONAL = {"A": ((0,), (1.0,)), "O": ((0,), (1.0,)), "M": ((1, 2, 3), (0.5, 0.3, 0.2)),
               "I": ((1, 2, 3), (0.2, 0.6, 0.2))}  # fmt: skip
_DYSFUNCTIONAL = {"A": ((1, 2, 3), (0.2, 0.5, 0.3)), "O": ((4,), (1.0,)), "M": ((4,), (1.0,)),
                  "I": ((1, 2, 3), (0.2, 0.5, 0.3))}  # fmt: skip
KANO_NOISE = 0.04  # pairs answered at random (some come out reverse or questionable)


def _kano_and_competitors(
    rng: np.random.Generator, seg: np.ndarray[Any, np.dtype[np.int8]]
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Per respondent: the 2 x 4 KANO answers (functional, dysfunctional per feature), the
    competitors bought (k x 3 booleans) and their ratings (0: not rated)."""
    k = seg.size
    answers = np.zeros((k, 2 * len(V.KANO_FEATURES)), np.int64)
    for j, table in enumerate(V.KANO_BY_SEGMENT):
        category = np.asarray(list("AOMI"))[by_segment(rng, seg, table)]
        for side, choices in ((0, _FUNCTIONAL), (1, _DYSFUNCTIONAL)):
            for name, (values, probs) in choices.items():
                rows = np.flatnonzero(category == name)
                answers[rows, 2 * j + side] = rng.choice(values, rows.size, p=probs)
        noise = rng.random(k) < KANO_NOISE
        answers[noise, 2 * j : 2 * j + 2] = rng.integers(0, 5, (int(noise.sum()), 2))
    bought = rng.random((k, len(V.COMPETITORS))) < np.asarray(V.COMPETITOR_BOUGHT_BY_SEGMENT)[seg]
    mean = np.asarray(V.COMPETITOR_RATING_BY_SEGMENT)[seg]
    ratings = np.clip(np.rint(rng.normal(mean, 0.9)), 1, 5).astype(np.int64)
    ratings[~bought] = 0
    return answers, bought, ratings


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


def survey_definition(as_of: date, source: str = "survey") -> str:
    """``surveys/customer_survey.yaml`` for the generated export (headers as written)."""
    year, quarter = as_of.year, (as_of.month - 1) // 3 + 1
    kano = [V.KANO_ANSWERS] * 2
    lines = [
        "# The demo questionnaire: which export columns are which questions, and what makes a",
        "# response invalid. See docs/surveys.md.",
        "version: 1",
        "id: customer_survey",
        f"title: {{zh: {year} Q{quarter} 客户满意度问卷, "
        f"en: {year} Q{quarter} customer satisfaction survey}}",
        f"source: {source}          # a source of huaxiang.yaml (or all)",
        "target: all             # sample size against all customers (or a segment id)",
        f"min_seconds: {FAST_SECONDS}        # faster answers are invalid",
        "questions:",
        *_question("age_band", Q_AGE, "single", options=V.SURVEY_AGE_BANDS),
        *_question("gender", Q_GENDER, "single", options=("女", "男")),
        *_question("reasons", Q_REASON, "multiple", options=V.SURVEY_REASONS,
                   layout="columns       # one 0/1 column per option"),
        *_question("satisfaction", Q_SATISFACTION, "rating", scale="[1, 5]"),
        *_question("improve", Q_IMPROVE, "text", required=False),
        *_question("frequency", Q_FREQUENCY, "single", options=V.SURVEY_FREQUENCY),
        *_question("habit", Q_HABIT, "single", options=V.SURVEY_HABIT),
        *_question("channels", Q_INFO, "multiple", options=V.SURVEY_INFO,
                   layout="joined        # one cell, options joined by ┋"),
        *(line
          for ident, pair in zip(_KANO_IDS, Q_KANO, strict=True)
          for side, header, answers in zip(("f", "d"), pair, kano, strict=True)
          for line in _question(f"{ident}_{side}", header, "single", options=answers)),
        *_question("also_bought", Q_COMPETITORS, "multiple",
                   options=(*V.COMPETITORS, V.COMPETITOR_NONE)),
        *(line
          for ident, header in zip(_COMPETITOR_IDS, Q_COMPETITOR_RATINGS, strict=True)
          for line in _question(f"rate_{ident}", header, "rating", scale="[1, 5]",
                                required=False)),
        "kano:                   # answers: 我很喜欢 / 理所当然 / 无所谓 / 能忍受 / 我很不喜欢",
        "  features:",
        *(line
          for ident, zh, en in zip(_KANO_IDS, V.KANO_FEATURES, V.KANO_FEATURES_EN, strict=True)
          for line in (f"    - name: {{zh: {zh}, en: {en}}}", f"      functional: {ident}_f",
                       f"      dysfunctional: {ident}_d")),
        "competitors:",
        "  bought: also_bought",
        "  ours: satisfaction",
        "  brands:",
        *(line
          for ident, zh, en in zip(_COMPETITOR_IDS, V.COMPETITORS, V.COMPETITORS_EN, strict=True)
          for line in (f"    - name: {{zh: {zh}, en: {en}}}", f"      rating: rate_{ident}")),
        "rules:",
        "  - id: never_but_weekly",
        "    when: frequency = '从未购买' and habit = '每周'",
        "    reason:",
        "      zh: 矛盾：近6个月从未购买却每周购买",
        '      en: "contradiction: never bought in 6 months but buys weekly"',
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def _question(
    ident: str,
    header: str,
    kind: str,
    *,
    options: tuple[str, ...] = (),
    layout: str | None = None,
    scale: str | None = None,
    required: bool = True,
) -> list[str]:
    lines = [f"  - id: {ident}", f'    header: "{header}"', f"    type: {kind}"]
    if options:
        lines.append(f"    options: [{', '.join(options)}]")
    if layout:
        lines.append(f"    layout: {layout}")
    if scale:
        lines.append(f"    scale: {scale}")
    if required:
        lines.append("    required: true")
    return lines


_KANO_IDS = ("fast_delivery", "custom_packaging", "dedicated_service", "trade_in")
_COMPETITOR_IDS = ("youpinhui", "yuexiangjia", "shiguangji")
