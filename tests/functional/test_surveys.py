"""Survey analysis on the demo workspace: the planted invalid answers are found, the KANO
structure the generator planted comes back, the CLI prints JSON, and no open text leaks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from huaxiang.cli.main import app
from huaxiang.console import CaptureConsole
from huaxiang.errors import ConfigError, UsageError
from huaxiang.workspace import Workspace

SURVEY = "customer_survey"


@pytest.fixture
def demo(built_demo: Path) -> Iterator[tuple[Workspace, CaptureConsole, dict[str, Any]]]:
    console = CaptureConsole()
    ws = Workspace.open(built_demo, console=console)
    ws.build_segments()
    planted = json.loads((built_demo / "data" / "planted.json").read_text(encoding="utf-8"))
    yield ws, console, planted["survey"]
    ws.close()


def test_check_finds_the_planted_invalid_answers(
    demo: tuple[Workspace, CaptureConsole, dict[str, Any]],
) -> None:
    ws, console, planted = demo
    result = ws.check_survey(SURVEY, "en")
    reasons = {r["reason"]: r["responses"] for r in result.by_reason}
    assert result.responses == planted["rows"] == result.valid + result.invalid
    assert reasons == {"too_fast": planted["too_fast"],
                       "rule:never_but_weekly": planted["contradictory"]}  # fmt: skip
    assert (result.valid, result.invalid) == (planted["valid"], planted["invalid"])
    assert sum(c["responses"] for c in result.combinations) == result.invalid
    assert result.no_time == 0 and result.unreadable == {} and result.unlisted == {}
    written = ws.engine.rows(
        "select count(*), count(*) filter (where valid) from survey_validity where survey_id = ?",
        [SURVEY],
    )
    assert written == [(planted["rows"], planted["valid"])]
    # 3% of the customers answered: fewer than 200 valid, a visible warning with the numbers
    sample = result.sample
    assert not sample.ok and sample.needed == 200 and sample.valid == planted["valid"]
    assert sample.target_size == ws.engine.count("customers")
    warnings = [m for kind, m in console.messages if kind == "warn"]
    assert any(f"{planted['valid']} valid responses" in m for m in warnings)


def test_distributions_and_cross_tabs(
    demo: tuple[Workspace, CaptureConsole, dict[str, Any]],
) -> None:
    ws, _, planted = demo
    result = ws.survey_analysis(SURVEY, by_segment=True, group="value_behaviour", lang="zh")
    assert result.valid == planted["valid"]
    ws.check_survey(SURVEY)  # the verdicts in survey_validity, to count independently
    linked = ws.engine.scalar(
        "select count(customer_id) from survey_validity where valid and survey_id = ?", [SURVEY]
    )
    assert result.linked == linked and 0 < result.linked <= result.valid
    assert result.in_segments is not None and result.in_segments <= result.linked
    questions = {q["id"]: q for q in result.questions}
    satisfaction = questions["satisfaction"]
    assert satisfaction["answered"] == result.valid
    assert sum(a["count"] for a in satisfaction["answers"]) == result.valid
    assert 1 <= satisfaction["mean"] <= 5 and 0 <= satisfaction["top2"] <= 1
    assert sum(a["share"] for a in questions["frequency"]["answers"]) == pytest.approx(1, abs=1e-3)
    assert {s["group"] for s in result.segments} == {"value_behaviour"}
    shown = [s for s in result.segments if s["shown"]]
    assert shown and all(s["respondents"] >= 5 for s in shown)
    for s in shown:
        [row] = [b for b in satisfaction["by_segment"] if b["segment"] == s["segment"]]
        assert row["answered"] == s["respondents"] and "mean" in row
    # the competitor comparison: ours first, then the brands; most also buy the cheap one
    brands = [r["brand"] for r in result.competitors]
    assert brands == ["本品牌", "优品汇", "悦享家", "拾光集"]
    shares = {r["brand"]: r["bought_share"] for r in result.competitors[1:]}
    assert shares["优品汇"] == max(shares.values())
    assert set(result.competitors_by_segment) == {s["segment"] for s in shown}


def test_kano_recovers_the_planted_categories(
    demo: tuple[Workspace, CaptureConsole, dict[str, Any]],
) -> None:
    ws, _, planted = demo
    result = ws.survey_kano(SURVEY, "en")
    assert result.valid == planted["valid"]
    rows = [(f.feature, f.category, f.priority) for f in result.features]
    assert rows == [
        ("fast_delivery_f", "M", 1),
        ("dedicated_service_f", "O", 2),
        ("custom_packaging_f", "A", 3),
        ("trade_in_f", "I", 4),
    ]
    for f in result.features:
        assert f.classified == planted["valid"] == sum(f.counts.values())
        assert f.better is not None and f.worse is not None
        assert 0 <= f.better <= 1 and -1 <= f.worse <= 0
    assert result.features[0].name == "Delivery within 48 hours"


def test_open_text_is_readable_but_never_printed(
    demo: tuple[Workspace, CaptureConsole, dict[str, Any]],
) -> None:
    ws, _, _ = demo
    texts = ws.engine.dicts(ws.survey_open_text_sql(SURVEY))
    analysis = ws.survey_analysis(SURVEY)
    improve = next(q for q in analysis.questions if q["id"] == "improve")
    assert len(texts) == improve["answered"] > 0
    assert {t["question_id"] for t in texts} == {"improve"}
    with pytest.raises(UsageError, match="not an open-text question"):
        ws.survey_open_text_sql(SURVEY, "satisfaction")
    runner = CliRunner()
    root = str(ws.root)
    ws.close()
    outputs = []
    for args in (
        ["survey", "list"],
        ["survey", "check", SURVEY],
        ["survey", "analyse", SURVEY, "--group", "value_behaviour"],
        ["survey", "kano", SURVEY, "--lang", "en"],
    ):
        for extra in ([], ["--json"]):
            result = runner.invoke(app, ["-w", root, *args, *extra], catch_exceptions=False)
            assert result.exit_code == 0, result.stderr
            outputs.append(result.stdout + result.stderr)
            if extra:
                json.loads(result.stdout)
    printed = "\n".join(outputs)
    assert "48小时送达" in printed or "Delivery within 48 hours" in printed
    assert not [t["text"] for t in texts if t["text"] in printed and len(t["text"]) > 2]
    assert "C1000" not in printed  # no customer ids either


def test_a_header_the_export_lacks_is_reported_at_its_line(built_demo: Path) -> None:
    path = built_demo / "surveys" / "customer_survey.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("7、您通常多久购买一次", "7、您通常多久买一次"), encoding="utf-8")
    with Workspace.open(built_demo) as ws, pytest.raises(ConfigError) as info:
        ws.check_survey(SURVEY)
    [problem] = info.value.problems
    assert problem.location.file == "surveys/customer_survey.yaml"
    assert problem.location.line == text[: text.index("7、您通常多久购买一次")].count("\n") + 1
    assert problem.hint is not None and "'7、您通常多久购买一次'" in problem.hint
    with Workspace.open(built_demo) as ws, pytest.raises(UsageError, match="did you mean"):
        ws.survey_kano("customer_surve")
