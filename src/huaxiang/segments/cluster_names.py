"""Suggested names and descriptions for clusters, in Chinese and English, from their profiles.

A cluster is named by how its centre stands against all clustered customers, in standard
deviations of each (log-scaled) feature: +0.5 or more is "high", -0.5 or less "low". The first
rule that holds names it, so a cluster that has both lapsed and spent a lot is "at risk" rather
than "dormant". Rules whose features were not clustered on are skipped. Names are suggestions
for people to edit when they promote clusters to segments.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

HIGH = 0.5  # standard deviations from the mean of all clustered customers
DISTINCT_SHARE = 1.0  # a channel / category share this far above the mean names the cluster


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


Scores = dict[str, float]  # feature -> standard deviations from the mean

_RULES: list[tuple[Callable[[Scores], bool], Label]] = [
    (
        lambda z: _at_least(z, "recency", HIGH) and _at_least(z, "monetary", HIGH),
        Label("高价值待挽回", "High-value at risk"),
    ),
    (lambda z: _at_least(z, "recency", HIGH), Label("沉睡流失", "Dormant")),
    (
        lambda z: _at_least(z, "monetary", HIGH) and _at_most(z, "recency", 0.0, missing=True),
        Label("高价值忠诚", "High-value loyal"),
    ),
    (lambda z: _at_least(z, "price_sensitivity", HIGH), Label("价格敏感", "Price-sensitive")),
    (
        lambda z: _at_least(z, "frequency", HIGH) and _at_most(z, "aov", 0.0, missing=True),
        Label("高频低额", "Frequent small-basket"),
    ),
    (lambda z: _at_least(z, "aov", HIGH), Label("高客单", "Big-basket")),
    (lambda z: _at_most(z, "frequency", -HIGH), Label("新客/低频", "New or infrequent")),
    (lambda z: _at_most(z, "price_sensitivity", -HIGH), Label("全价购买", "Full-price buyers")),
]
_MAINSTREAM = Label("大众稳健", "Mainstream")


def suggest_names(scores: dict[int, Scores]) -> dict[int, Label]:
    """A name per cluster id from its centre's scores; unique within the clusters given
    (clusters that would share a name are numbered, in cluster id order)."""
    base = {cid: _name(z) for cid, z in sorted(scores.items())}
    twins = Counter(base.values())
    out: dict[int, Label] = {}
    taken: set[str] = set()
    for cid, label in base.items():
        n = 1 if twins[label] > 1 else 0
        while True:
            candidate = label if n == 0 else Label(f"{label.zh}{n}", f"{label.en} {n}")
            if candidate.zh not in taken and candidate.en not in taken:
                break
            n += 1
        taken |= {candidate.zh, candidate.en}
        out[cid] = candidate
    return out


def describe(size: int, share: float, means: dict[str, float]) -> Label:
    """A one-line portrait of a cluster from its size and the means of its raw features."""
    zh = [f"{size:,} 位客户（{share:.1%}）"]
    en = [f"{size:,} customers ({share:.1%})"]
    if "recency" in means:
        zh.append(f"平均 {means['recency']:.0f} 天未购买")
        en.append(f"last purchase {means['recency']:.0f} days ago on average")
    if "frequency" in means:
        zh.append(f"近12个月 {means['frequency']:.1f} 单")
        en.append(f"{means['frequency']:.1f} orders in 12 months")
    if "monetary" in means:
        zh.append(f"近12个月消费 {means['monetary']:,.0f} 元")
        en.append(f"{means['monetary']:,.0f} CNY spent in 12 months")
    if "aov" in means:
        zh.append(f"客单价 {means['aov']:,.0f} 元")
        en.append(f"average order {means['aov']:,.0f} CNY")
    if "price_sensitivity" in means:
        zh.append(f"促销订单占 {means['price_sensitivity']:.0%}")
        en.append(f"{means['price_sensitivity']:.0%} of orders on promotion")
    for kind, zh_kind in (("channel", "渠道"), ("category", "品类")):
        top = _top_share(means, kind)
        if top is not None:
            value, share_of = top
            zh.append(f"主要{zh_kind}{value}（{share_of:.0%}）")
            en.append(f"top {kind} {value} ({share_of:.0%})")
    return Label("；".join(zh), "; ".join(en))


def _name(z: Scores) -> Label:
    for holds, label in _RULES:
        if holds(z):
            return label
    shares = [(score, name) for name, score in z.items() if ":" in name]
    if shares:
        score, name = max(shares, key=lambda s: (s[0], s[1]))
        if score >= DISTINCT_SHARE:
            value = name.partition(":")[2]
            return Label(f"偏好{value}", f"Prefers {value}")
    return _MAINSTREAM


def _top_share(means: dict[str, float], kind: str) -> tuple[str, float] | None:
    shares = [
        (v, name.partition(":")[2]) for name, v in means.items() if name.startswith(f"{kind}:")
    ]
    if not shares:
        return None
    share, value = max(shares)
    return value, share


def _at_least(z: Scores, feature: str, bound: float) -> bool:
    return feature in z and z[feature] >= bound


def _at_most(z: Scores, feature: str, bound: float, *, missing: bool = False) -> bool:
    return z[feature] <= bound if feature in z else missing
