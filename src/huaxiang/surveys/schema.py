"""JSON Schema of a survey definition file (``surveys/<id>.yaml``), for editors that validate
YAML; generated from the models and adjusted, like the other definition schemas, to the
shorthand the models accept: a plain string for a bilingual text, numbers as options,
``scale: 1-5``, a bare number or boolean as a rule's SQL. What a schema cannot say (a question
id that does not exist, a header the export does not have) is left to ``huaxiang survey check``.

The published copy is docs/schema/surveys.schema.json; regenerate it with
``python -m huaxiang.surveys.schema docs/schema``.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from huaxiang.definitions.schema import DIALECT, _text
from huaxiang.surveys.models import Survey

Schema = dict[str, Any]
FILE_NAME = "surveys.schema.json"
_DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("Survey", "id"): "Lower case, digits and _; unique among the surveys.",
    ("Survey", "source"): "A source of huaxiang.yaml loading survey_responses, or all.",
    ("Survey", "target"): "The group the sample-size check compares with: all or a segment id.",
    ("Survey", "min_seconds"): "Responses answered faster are invalid (default 180).",
    ("Survey", "separator"): "What joins the options of a multiple-choice cell (default ┋).",
    ("Question", "id"): "Lower case, digits and _; what rules, KANO and competitors name.",
    ("Question", "header"): "The column header in the export (for one column per option: the "
    "part before ':option').",
    ("Question", "title"): "A short display name (default: the header).",
    ("Question", "options"): "The choices, in display order (undeclared answers count as other).",
    ("Question", "layout"): "Multiple choice: joined (one cell) or columns (a 0/1 column per "
    "option, header 'question:option'); default: whichever the export has.",
    ("Question", "scale"): "Rating: lowest and highest point (default [1, 5]).",
    ("Question", "required"): "An unanswered required question makes the response invalid.",
    ("KanoFeature", "functional"): "The question id: how do you feel if it is there?",
    ("KanoFeature", "dysfunctional"): "The question id: how do you feel if it is not?",
    ("Competitors", "bought"): "A multiple question id: which brands did you also buy?",
    ("Competitors", "ours"): "A rating question id about our own brand, to compare with.",
    ("Brand", "option"): "Its option in the bought question (default: the name).",
    ("Brand", "rating"): "A rating question id about this brand.",
    ("LogicRule", "when"): "SQL condition over question ids; a response meeting it is invalid.",
}


def survey_schema() -> Schema:
    """The JSON Schema (draft 2020-12) of a ``surveys/*.yaml`` file."""
    generated = Survey.model_json_schema(mode="validation")
    defs: dict[str, Schema] = generated.pop("$defs")
    props: Schema = generated["properties"]
    for (name, field), text in _DESCRIPTIONS.items():
        target = props if name == "Survey" else defs[name]["properties"]
        target[field]["description"] = text
    defs["Text"] = _text(defs["Text"])
    question = defs["Question"]["properties"]
    question["options"]["items"] = {"type": ["string", "number"]}
    scale = question["scale"]
    question["scale"] = {
        "anyOf": [
            {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
            {"type": "string", "pattern": r"^\s*-?[0-9]+\s*-\s*-?[0-9]+\s*$"},
            {"type": "null"},
        ],
        "description": scale.get("description", ""),
    }
    defs["LogicRule"]["properties"]["when"]["type"] = ["string", "number", "boolean"]
    generated.pop("title", None)
    schema = {
        "$schema": DIALECT,
        "$id": "urn:huaxiang:definitions:surveys:v1",
        "title": "huaxiang survey definition",
        "description": "A surveys/<id>.yaml file of a huaxiang workspace: the questions of a "
        "questionnaire export, KANO pairs, competitors and the rules that make a response "
        "invalid.",
        **generated,
        "$defs": defs,
    }
    return copy.deepcopy(schema)


def write_schema(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    path.write_text(json.dumps(survey_schema(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m huaxiang.surveys.schema DIRECTORY`` writes the schema there."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m huaxiang.surveys.schema DIRECTORY\n")
        return 2
    sys.stdout.write(f"wrote {write_schema(Path(args[0]))}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
