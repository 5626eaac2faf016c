"""KANO: which features customers expect, which please them, and which leave them cold.

Every feature is asked twice: "if the product has it, how do you feel?" (functional) and "if it
does not?" (dysfunctional), each answered with one of five answers: like, must-be, neutral,
live-with, dislike (我很喜欢 / 理所当然 / 无所谓 / 能忍受 / 我很不喜欢). The pair gives one category
through the Kano evaluation table (Kano, Seraku, Takahashi & Tsuji 1984; as tabulated in Berger
et al. 1993, "Kano's methods for understanding customer-defined quality", Center for Quality
Management Journal 2(4)):

- A attractive (魅力属性): delights when there, not missed when absent;
- O one-dimensional (期望属性): the more the better;
- M must-be (必备属性): expected; its absence dissatisfies;
- I indifferent (无差异属性); R reverse (反向属性): wanted absent; Q questionable (可疑结果):
  a contradictory pair (liking both having it and not having it).

Per feature: the counts, the category by majority, and Berger et al.'s satisfaction
coefficients Better = (A+O)/(A+O+M+I) and Worse = -(O+M)/(A+O+M+I), the coordinates of the
Better-Worse chart. The classification is one query over all valid responses and features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from huaxiang.engine.duckdb_engine import Engine, quote_ident, quote_str
from huaxiang.surveys.models import Kano
from huaxiang.surveys.responses import Resolved, valid_sql

ANSWERS = ("like", "must_be", "neutral", "live_with", "dislike")
# rows: the functional answer; columns: the dysfunctional answer (both in the order of ANSWERS)
EVALUATION = (
    ("Q", "A", "A", "A", "O"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "R", "R", "R", "Q"),
)
CATEGORIES = ("M", "O", "A", "I", "R", "Q")  # the priority order, also the tie order
CATEGORY_NAMES = {
    "M": {"zh": "必备属性", "en": "must-be"},
    "O": {"zh": "期望属性", "en": "one-dimensional"},
    "A": {"zh": "魅力属性", "en": "attractive"},
    "I": {"zh": "无差异属性", "en": "indifferent"},
    "R": {"zh": "反向属性", "en": "reverse"},
    "Q": {"zh": "可疑结果", "en": "questionable"},
}


def classify(functional: str, dysfunctional: str) -> str:
    """The category of one answer pair (answers named as in :data:`ANSWERS`)."""
    return EVALUATION[ANSWERS.index(functional)][ANSWERS.index(dysfunctional)]


def better_worse(counts: dict[str, int]) -> tuple[float | None, float | None]:
    """Berger et al.'s coefficients; None when nobody answered A, O, M or I."""
    base = sum(counts.get(c, 0) for c in "AOMI")
    if not base:
        return None, None
    better = (counts.get("A", 0) + counts.get("O", 0)) / base
    worse = -(counts.get("O", 0) + counts.get("M", 0)) / base
    return better, worse


def majority(counts: dict[str, int]) -> str | None:
    """The most frequent category. A tie goes to the category that matters more for the
    product, M > O > A > I > R > Q (Berger et al.: when in doubt, M > O > A > I), so a feature
    half must-be and half attractive is treated as must-be."""
    if not any(counts.values()):
        return None
    return max(CATEGORIES, key=lambda c: (counts.get(c, 0), -CATEGORIES.index(c)))


def priority_key(row: dict[str, Any]) -> tuple[int, float, str]:
    """Must-be first, then one-dimensional, attractive, indifferent (reverse, questionable and
    unanswered last). Within must-be and one-dimensional the larger |Worse| first: their
    absence is what dissatisfies, so the feature whose lack costs most comes first; within
    attractive and indifferent the larger Better first: what they can add is satisfaction."""
    category = row["category"]
    rank = CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES)
    weight = abs(row["worse"] or 0.0) if category in ("M", "O") else (row["better"] or 0.0)
    return rank, -weight, row["feature"]


@dataclass(frozen=True)
class KanoFeatureResult:
    feature: str  # the functional question id
    name: str
    category: str | None
    category_name: str | None
    better: float | None
    worse: float | None
    counts: dict[str, int]  # A, O, M, I, R, Q
    shares: dict[str, float]  # of the classified pairs; add up to 1
    classified: int  # respondents with both answers among the five labels
    unreadable: int  # respondents who answered but not with the five labels
    priority: int  # 1 = act first


TIE_RULE = {
    "zh": "类别取多数；并列时按 M > O > A > I > R > Q 取影响更大者",
    "en": "category by majority; a tie goes to M > O > A > I > R > Q (the one that matters more)",
}
ORDER_RULE = {
    "zh": "优先级：必备 > 期望 > 魅力 > 无差异；"
    "必备与期望按 |Worse| 降序，魅力与无差异按 Better 降序",
    "en": "priority: must-be > one-dimensional > attractive > indifferent; must-be and "
    "one-dimensional by |Worse|, attractive and indifferent by Better, largest first",
}


@dataclass(frozen=True)
class KanoAnalysis:
    survey_id: str
    title: str
    valid: int  # valid responses the pairs come from
    features: list[KanoFeatureResult]  # in priority order
    tie_rule: str
    order_rule: str


def pairs_sql(resolved: Resolved) -> str:
    """One row per valid response and feature: (_respondent_id, _customer_id, feature, f, d)
    with the answers as indexes into ANSWERS (NULL when unanswered or not a Kano label), and
    the category."""
    kano = _kano(resolved)
    labels = kano.labels.ordered()
    table = "[" + ", ".join(quote_str(c) for row in EVALUATION for c in row) + "]"

    def code(column: str) -> str:
        whens = " ".join(f"when {quote_str(label)} then {i}" for i, label in enumerate(labels))
        return f"case {column} {whens} end"

    parts = " union all ".join(
        f"select v._respondent_id, v._customer_id, {quote_str(f.functional)} as feature, "
        f"{code('v.' + quote_ident(f.functional))} as f, "
        f"{code('v.' + quote_ident(f.dysfunctional))} as d, "
        f"v.{quote_ident(f.functional)} is not null and v.{quote_ident(f.dysfunctional)} "
        "is not null as answered from v"
        for f in kano.features
    )
    return (
        f"with v as ({valid_sql(resolved)}) "
        f"select p.*, {table}[p.f * 5 + p.d + 1] as category from ({parts}) p"
    )


def _kano(resolved: Resolved) -> Kano:
    if resolved.survey.kano is None:
        raise ValueError("the survey declares no KANO pairs")
    return resolved.survey.kano


def kano_results(engine: Engine, resolved: Resolved, lang: str) -> list[KanoFeatureResult]:
    """Per feature, in priority order (the rows of the Better-Worse chart)."""
    kano = _kano(resolved)
    rows = engine.rows(
        f"select feature, category, count(*) filter (where category is not null), "
        f"count(*) filter (where answered and category is null) from ({pairs_sql(resolved)}) k "
        "group by all"
    )
    counts: dict[str, dict[str, int]] = {f.functional: {} for f in kano.features}
    unreadable: dict[str, int] = {}
    for feature, category, n, bad in rows:
        if category is not None:
            counts[feature][category] = int(n)
        unreadable[feature] = unreadable.get(feature, 0) + int(bad)
    language = "zh" if lang.startswith("zh") else "en"
    out: list[dict[str, Any]] = []
    for f in kano.features:
        c = {k: counts[f.functional].get(k, 0) for k in ("A", "O", "M", "I", "R", "Q")}
        total = sum(c.values())
        better, worse = better_worse(c)
        category = majority(c)
        out.append(
            {
                "feature": f.functional,
                "name": f.name.get(language),
                "category": category,
                "category_name": CATEGORY_NAMES[category][language] if category else None,
                "better": None if better is None else round(better, 4),
                "worse": None if worse is None else round(worse, 4),
                "counts": c,
                "shares": {k: round(v / total, 4) for k, v in c.items()} if total else {},
                "classified": total,
                "unreadable": unreadable.get(f.functional, 0),
            }
        )
    out.sort(key=priority_key)
    return [KanoFeatureResult(**row, priority=i + 1) for i, row in enumerate(out)]


def kano_analysis(engine: Engine, resolved: Resolved, lang: str) -> KanoAnalysis:
    language = "zh" if lang.startswith("zh") else "en"
    valid = int(engine.scalar(f"select count(*) from ({valid_sql(resolved)}) v"))
    return KanoAnalysis(
        survey_id=resolved.survey.id,
        title=resolved.survey.title.get(language),
        valid=valid,
        features=kano_results(engine, resolved, language),
        tie_rule=TIE_RULE[language],
        order_rule=ORDER_RULE[language],
    )
