"""A deterministic generator of a realistic, deliberately messy Chinese retail data set.

``generate_demo(dest)`` writes six raw exports under ``dest/data/`` — a GBK CRM export, a shop
member list, orders, behaviour events, a 问卷星 survey and customer feedback — and returns the
source definitions that load them. What was planted (duplicates, outliers, malformed rows, hidden
segments) is written to ``dest/data/planted.json`` and ``dest/data/README.md`` with exact counts, so
the cleaning, identity and segmentation steps can be checked against the truth.

The same seed gives byte-identical files. Everything is vectorised; one million customers with
about ten million orders take well under two minutes on two cores.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from huaxiang.datasets import demo_vocab as V
from huaxiang.datasets.demo_crm import CrmPlan, CrmWriter
from huaxiang.datasets.demo_events import event_chunk
from huaxiang.datasets.demo_feedback import render_feedback
from huaxiang.datasets.demo_orders import EXTREME_MIN_YUAN, TIME_FORMATS, OrderContext, order_chunk
from huaxiang.datasets.demo_orders import HEADER as ORDER_HEADER
from huaxiang.datasets.demo_people import build_people
from huaxiang.datasets.demo_readme import readme
from huaxiang.datasets.demo_shop import render_shop
from huaxiang.datasets.demo_survey import SHEET, write_survey

Progress = Callable[[str, int, int], None]
MIN_CUSTOMERS = 100
PERSONS_PER_CHUNK = 64_000
CRM_ROWS_PER_CHUNK = 100_000
FILES = (
    "crm_customers.csv",
    "shop_members.csv",
    "orders.csv",
    "events.jsonl",
    "survey.xlsx",
    "feedback.csv",
)

__all__ = ["generate_demo", "source_definitions"]


def source_definitions(as_of: date = date(2026, 6, 30)) -> list[dict[str, Any]]:
    """The sources that load the generated files (paths relative to the destination)."""
    year, quarter = as_of.year, (as_of.month - 1) // 3 + 1
    # name, table, file, encoding, priority, description
    rows = (
        ("crm_customers", "customers", FILES[0], "gbk", 10, f"CRM {year} 客户导出"),
        ("shop_members", "customers", FILES[1], "utf-8-sig", 20, f"线上商城会员名单 {year}"),
        ("orders", "orders", FILES[2], "utf-8", 10, f"订单系统 {year - 3}-{year} 订单明细"),
        ("events", "events", FILES[3], "utf-8", 10, f"APP/小程序/官网 行为埋点 {year}"),
        ("survey", "survey_responses", FILES[4], "auto", 30,
         f"{year} Q{quarter} 客户满意度问卷（问卷星导出）"),
        ("feedback", "feedback", FILES[5], "utf-8", 10, f"客服工单与评价反馈 {year}"),
    )  # fmt: skip
    return [
        {
            "name": name,
            "table": table,
            "path": f"data/{file}",
            "format": file.rsplit(".", 1)[1],
            "encoding": encoding,
            "sheet": SHEET if file.endswith(".xlsx") else None,
            "priority": priority,
            "description": description,
        }
        for name, table, file, encoding, priority, description in rows
    ]


def generate_demo(
    dest: Path,
    customers: int = 20_000,
    seed: int = 7,
    progress: Progress | None = None,
    as_of: date = date(2026, 6, 30),
) -> list[dict[str, Any]]:
    """Write the demo data set under ``dest/data/`` and return its source definitions."""
    if customers < MIN_CUSTOMERS:
        raise ValueError(f"customers must be at least {MIN_CUSTOMERS}, got {customers}")
    report: Progress = progress or (lambda _step, _done, _total: None)
    data_dir = Path(dest) / "data"
    data_dir.mkdir(parents=True, exist_ok=True)

    report("people", 0, 1)
    people = build_people(customers, seed, as_of)
    report("people", 1, 1)

    plan = CrmPlan(people, seed)
    writer = CrmWriter(plan)
    report("crm_customers", 0, plan.size)
    with (data_dir / "crm_customers.csv").open("wb") as f:
        for chunk in writer.chunks(
            CRM_ROWS_PER_CHUNK, lambda done: report("crm_customers", done, plan.size)
        ):
            f.write(chunk)
    crm = writer.finish()

    report("shop_members", 0, 1)
    shop_bytes, shop = render_shop(people, seed)
    (data_dir / "shop_members.csv").write_bytes(shop_bytes)
    report("shop_members", 1, 1)

    ctx = OrderContext.build(people)
    orders, events = _orders_and_events(ctx, data_dir, seed, report)

    report("survey", 0, 1)
    survey = write_survey(data_dir / "survey.xlsx", people, seed, as_of)
    report("survey", 1, 1)

    report("feedback", 0, 1)
    feedback_bytes, feedback = render_feedback(ctx, seed)
    (data_dir / "feedback.csv").write_bytes(feedback_bytes)
    report("feedback", 1, 1)

    seg_persons = np.bincount(people.seg, minlength=4)
    seg_crm = np.bincount(people.seg[: people.n_crm], minlength=4)
    segments = _segments(orders.pop("segments"), seg_persons, seg_crm)
    chains, comp_dups = shop["chain"], crm["credit_code_duplicates"]
    planted = {
        "generator": {
            "seed": seed,
            "customers": customers,
            "as_of": as_of.isoformat(),
            "files": list(FILES),
        },
        "segments": segments,
        "identity": {
            "persons": people.size,
            "crm_customer_ids": people.n_crm,
            "shop_member_ids": shop["rows"],
            "shop_members_matching_crm": shop["matching_crm"],
            "chains": chains,
            "credit_code_duplicates": comp_dups,
            "duplicate_registrations": shop["duplicate_registration"],
            "expected_clusters": people.size - chains - comp_dups,
        },
        "crm_customers": crm,
        "shop_members": shop,
        "orders": orders,
        "events": events,
        "survey": survey,
        "feedback": feedback,
    }
    text = json.dumps(planted, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (data_dir / "planted.json").write_text(text, encoding="utf-8")
    (data_dir / "README.md").write_text(readme(planted), encoding="utf-8")
    report("done", 1, 1)
    return source_definitions(as_of)


ChunkResult = tuple[
    bytes, dict[str, Any], np.ndarray[Any, np.dtype[np.int64]], bytes, dict[str, Any]
]


def _orders_and_events(
    ctx: OrderContext, data_dir: Path, seed: int, report: Progress
) -> tuple[dict[str, Any], dict[str, Any]]:
    total = ctx.people.size
    bounds = [(lo, min(lo + PERSONS_PER_CHUNK, total)) for lo in range(0, total, PERSONS_PER_CHUNK)]
    malformed_total = 3 + total // 200_000
    share = [
        malformed_total // len(bounds) + (i < malformed_total % len(bounds))
        for i in range(len(bounds))
    ]

    def work(i: int) -> ChunkResult:
        lo, hi = bounds[i]
        o_bytes, o_stats, cents = order_chunk(ctx, seed, i, lo, hi)
        e_bytes, e_stats = event_chunk(ctx, seed, i, lo, hi, share[i])
        return o_bytes, o_stats, cents, e_bytes, e_stats

    report("orders_events", 0, total)
    acc: dict[str, Any] = {}
    amounts: list[np.ndarray[Any, np.dtype[np.int64]]] = []
    ev: dict[str, Any] = {"lines": 0, "malformed_lines": [], "types": None, "churn_recent": 0}
    workers = max(1, min(2, os.cpu_count() or 1))
    with (
        (data_dir / "orders.csv").open("wb") as orders_file,
        (data_dir / "events.jsonl").open("wb") as events_file,
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):
        orders_file.write((",".join(ORDER_HEADER) + "\n").encode())
        pending: deque[Future[ChunkResult]] = deque()
        done = 0

        def consume(result: ChunkResult) -> None:
            nonlocal done
            o_bytes, o_stats, cents, e_bytes, e_stats = result
            orders_file.write(o_bytes)
            events_file.write(e_bytes)
            amounts.append(cents)
            _merge(acc, o_stats)
            ev["malformed_lines"] += [ev["lines"] + j + 1 for j in e_stats["malformed_local"]]
            ev["lines"] += e_stats["lines"]
            ev["churn_recent"] += e_stats["churn_recent"]
            types = np.asarray(e_stats["types"])
            ev["types"] = types if ev["types"] is None else ev["types"] + types
            done += 1
            report("orders_events", bounds[done - 1][1], total)

        for i in range(len(bounds)):
            pending.append(pool.submit(work, i))
            if len(pending) > workers:
                consume(pending.popleft().result())
        while pending:
            consume(pending.popleft().result())

    cents = np.concatenate(amounts)
    rows, total_cents = int(cents.size), int(cents.sum())
    orders = {k: v for k, v in acc.items() if k != "time_formats"}
    orders["time_formats"] = dict(zip(TIME_FORMATS, acc["time_formats"], strict=True))
    orders["distinct_order_ids"] = rows - acc["duplicate_rows"]
    orders["amount_mean"] = round(total_cents / rows / 100, 2)
    # exact integer comparison: amount > 3 * mean  <=>  cents * rows > 3 * total
    orders["amount_gt_3x_mean"] = int((cents * rows > 3 * total_cents).sum())
    orders["amount_gte_extreme_min"] = int((cents >= EXTREME_MIN_YUAN * 100).sum())
    orders["extreme_min_yuan"] = EXTREME_MIN_YUAN
    events = {
        "lines": ev["lines"],
        "malformed_lines": ev["malformed_lines"],
        "malformed": len(ev["malformed_lines"]),
        "types": dict(zip(V.EVENT_TYPES, ev["types"].tolist(), strict=True)),
        "churn_risk_events_last_90_days": ev["churn_recent"],
    }
    return orders, events


def _merge(acc: dict[str, Any], stats: dict[str, Any]) -> None:
    """Add chunk statistics into ``acc`` (numbers, lists of numbers, dicts of those)."""
    for key, value in stats.items():
        if key not in acc:
            acc[key] = json.loads(json.dumps(value))
        elif isinstance(value, dict):
            _merge(acc[key], value)
        elif isinstance(value, list):
            acc[key] = [a + b for a, b in zip(acc[key], value, strict=True)]
        else:
            acc[key] += value


def _segments(raw: dict[str, list[int]], persons: Any, crm: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, name in enumerate(V.SEGMENTS):
        orders, cents, coupon, app, mini, evening, lunch, recent = raw[name]
        per = max(orders, 1)
        out[name] = {
            "label": V.SEGMENT_LABELS[i],
            "persons": int(persons[i]),
            "crm_customers": int(crm[i]),
            "orders": orders,
            "orders_per_person": round(orders / max(int(persons[i]), 1), 2),
            "avg_order_value": round(cents / per / 100, 2),
            "coupon_rate": round(coupon / per, 4),
            "app_share": round(app / per, 4),
            "mini_program_share": round(mini / per, 4),
            "evening_20_22_share": round(evening / per, 4),
            "lunch_11_14_share": round(lunch / per, 4),
            "orders_last_90_days": recent,
        }
    return out
