"""The validated shape of ``huaxiang.yaml``.

Frozen pydantic models with ``extra="forbid"``: a misspelt key is an error with a
"did you mean" hint (see :mod:`huaxiang.config.loader`), never silently ignored.
"""

from __future__ import annotations

import difflib
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from huaxiang.schema import TABLES

TableName = Literal["customers", "orders", "events", "survey_responses", "feedback"]
FileFormat = Literal["auto", "csv", "tsv", "xlsx", "parquet", "jsonl", "sql"]
MissingStrategy = Literal["leave", "unknown", "mean", "median", "mode", "constant"]
OutlierAction = Literal["flag", "cap", "clear", "quarantine"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# columns cleaning adds to customers next to the canonical fields (province and city are fields)
_DERIVED_CUSTOMER_COLUMNS = ("city_tier", "area", "region_code")


def _check_field(info: ValidationInfo, name: str, *, numeric: bool) -> str:
    """``name`` must be a field of the rule's table (a number, for outlier rules)."""
    table = TABLES.get(str(info.data.get("table")))
    if table is None:  # the table itself is invalid and reported on its own
        return name
    if numeric:
        allowed = [f.name for f in table.fields if f.type in ("integer", "decimal")]
    else:
        allowed = table.field_names + [f"{f}_code" for f in table.field_names]
        if table.name == "customers":
            allowed += list(_DERIVED_CUSTOMER_COLUMNS)
    if name not in allowed:
        kind = "numeric field" if numeric else "field"
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"one of: {', '.join(allowed)}"
        raise ValueError(f"{table.name} has no {kind} {name!r}; {hint}")
    return name


class EngineConfig(_Model):
    kind: Literal["duckdb"] = "duckdb"
    path: str = ".huaxiang/warehouse.duckdb"
    threads: Annotated[int, Field(ge=1)] | None = None
    memory_limit: str | None = Field(default=None, description="e.g. '4GB'")


class StoreConfig(_Model):
    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the operational store; default SQLite in .huaxiang/",
    )


class SourceConfig(_Model):
    """One raw input: a file or a query, loaded into one canonical table."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-\u4e00-\u9fff]+$", max_length=64)]
    table: TableName
    path: str | None = None
    format: FileFormat = "auto"
    encoding: str = "auto"
    delimiter: str | None = None
    sheet: str | int | None = Field(default=None, description="xlsx sheet name or 0-based index")
    url: str | None = Field(default=None, description="SQLAlchemy URL for format: sql")
    query: str | None = None
    mapping: dict[str, str] = Field(default_factory=dict, description="source header -> field")
    priority: int = Field(default=100, description="lower wins under source-priority survivorship")
    description: str = ""

    @model_validator(mode="after")
    def _file_or_query(self) -> SourceConfig:
        if self.format == "sql" or self.url or self.query:
            if not (self.url and self.query):
                raise ValueError("a sql source needs both 'url' and 'query'")
        elif not self.path:
            raise ValueError("a file source needs 'path'")
        return self


class MissingRule(_Model):
    table: TableName = "customers"
    field: str
    strategy: MissingStrategy
    value: Any = None

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str, info: ValidationInfo) -> str:
        return _check_field(info, value, numeric=False)

    @model_validator(mode="after")
    def _constant_has_value(self) -> MissingRule:
        if self.strategy == "constant" and self.value is None:
            raise ValueError("strategy 'constant' needs 'value'")
        return self


class OutlierRule(_Model):
    table: TableName
    field: str
    rule: Literal["bounds", "sigma", "iqr"]
    min: float | None = None
    max: float | None = None
    k: float = Field(default=3.0, gt=0, description="sigmas (sigma) or IQR multiples (iqr)")
    action: OutlierAction = "flag"
    finding: str | None = Field(
        default=None, description="name the flag as a finding, e.g. high_net_worth_candidate"
    )
    above_mean_ratio: float | None = Field(
        default=None, gt=0, description="bounds rule: flag values above ratio x mean"
    )

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str, info: ValidationInfo) -> str:
        return _check_field(info, value, numeric=True)


class DedupeConfig(_Model):
    survivorship: Literal["latest", "source_priority"] = "latest"
    customer_keys: list[Literal["customer_id", "phone", "email", "credit_code", "union_id"]] = [
        "customer_id",
        "phone",
        "email",
        "credit_code",
        "union_id",
    ]


class CleaningConfig(_Model):
    day_first: bool = Field(default=False, description="read 08/05/2024 as 8 May")
    timezone: str = "Asia/Shanghai"
    phone_region: str = "CN"
    dedupe: DedupeConfig = DedupeConfig()
    missing: list[MissingRule] = Field(default_factory=list)
    outliers: list[OutlierRule] = Field(default_factory=list)
    codes: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="field -> {text: code}, e.g. industry"
    )


class TaggingConfig(_Model):
    # the day tags describe; None: the day of the latest order or event in the warehouse
    as_of: date | None = None


class WorkspaceConfig(_Model):
    version: Literal[1] = 1
    name: str
    locale: Literal["zh-CN", "en"] = "zh-CN"
    engine: EngineConfig = EngineConfig()
    store: StoreConfig = StoreConfig()
    sources: list[SourceConfig] = Field(default_factory=list)
    cleaning: CleaningConfig = CleaningConfig()
    tagging: TaggingConfig = TaggingConfig()
    pii: list[str] = Field(
        default_factory=lambda: ["name", "phone", "email", "id_number", "credit_code"]
    )

    @model_validator(mode="after")
    def _unique_source_names(self) -> WorkspaceConfig:
        seen: set[str] = set()
        for source in self.sources:
            if source.name in seen:
                raise ValueError(f"source name {source.name!r} is used twice")
            seen.add(source.name)
        return self

    def source(self, name: str) -> SourceConfig | None:
        return next((s for s in self.sources if s.name == name), None)


def resolve_path(root: Path, path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else root / p
