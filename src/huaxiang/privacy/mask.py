"""Masking of personal data for every output (reports, terminal, exports).

Masked by default; only a caller holding a permitted role passes ``reveal=True``.
The SQL forms mask inside the engine so unmasked values never leave it for bulk exports.
"""

from __future__ import annotations

import re
from typing import Any

PII_FIELDS = frozenset({"name", "phone", "email", "id_number", "credit_code", "union_id"})
_DIGITS = re.compile(r"\d")
_COUNTRY = re.compile(r"^\s*(\+86|0086)")


def mask_phone(value: str) -> str:
    """'+8613800138000' -> '+86138****8000'; '13800138000' -> '138****8000'.

    Text holding more digits than one number ('13800138000 / 13900139000', typed into one cell)
    keeps only its last four digits (and a +86 / 0086 prefix): no number in it stays whole.
    """
    digits = [m.start() for m in _DIGITS.finditer(value)]
    if len(digits) < 7:
        return "*" * len(value)
    prefix = _COUNTRY.match(value)
    skip = sum(ch.isdigit() for ch in prefix.group(0)) if prefix else 0
    hidden = digits[-8:-4] if len(digits) - skip <= 12 else digits[skip:-4]
    chars = list(value)
    for i in hidden:
        chars[i] = "*"
    return "".join(chars)


def mask_name(value: str) -> str:
    """'张三丰' -> '张**', 'Alice Wang' -> 'A*********'."""
    value = value.strip()
    return value[:1] + "*" * max(len(value) - 1, 1) if value else value


def mask_email(value: str) -> str:
    local, _, domain = value.partition("@")
    if not domain or "@" in domain:  # not one address (several in one cell): hide it all
        return mask_name(value)
    return (local[:1] + "***@" + domain) if local else "***@" + domain


def mask_identifier(value: str) -> str:
    """ID numbers and credit codes: keep the first 4 and last 2 characters."""
    if len(value) <= 6:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


_BY_FIELD = {
    "phone": mask_phone,
    "name": mask_name,
    "email": mask_email,
    "id_number": mask_identifier,
    "credit_code": mask_identifier,
    "union_id": mask_identifier,
}


def mask_value(field: str, value: Any, *, reveal: bool = False) -> Any:
    if reveal or value is None or field not in _BY_FIELD:
        return value
    return _BY_FIELD[field](str(value))


def mask_record(
    record: dict[str, Any], pii: frozenset[str] | set[str] = PII_FIELDS, *, reveal: bool = False
) -> dict[str, Any]:
    if reveal:
        return dict(record)
    out = {}
    for key, value in record.items():
        if key in pii and value is not None:
            out[key] = _BY_FIELD.get(key, mask_name)(str(value))
        else:
            out[key] = value
    return out


def phone_mask_sql(expr: str) -> str:
    """SQL: the phone's digits 4-8 from the end replaced by ****."""
    return (
        f"case when {expr} is null then null when length({expr}) >= 8 then "
        f"left({expr}, length({expr}) - 8) || '****' || right({expr}, 4) else '****' end"
    )


def name_mask_sql(expr: str) -> str:
    return (
        f"case when {expr} is null then null else left({expr}, 1) || "
        f"repeat('*', greatest(length({expr}) - 1, 1)) end"
    )
