"""SQL expressions that turn raw text into typed, standardised values.

Each builder takes a SQL expression over one raw VARCHAR and returns a SQL expression that is
NULL when the text is empty *or* cannot be read; :func:`typed_select` pairs it with an
``invalid`` check so cleaning can tell "missing" from "unreadable" and report both.
Set-based on purpose: these run inside one SELECT over millions of rows.
"""

from __future__ import annotations

import unicodedata

from huaxiang.schema import Field

# strptime patterns tried in order after DuckDB's own ISO cast; the day-first / month-first
# pair is chosen by configuration because 08/05/2024 is ambiguous.
_DATE_FORMATS = (
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%Y年%m月%d号",
    "%Y%m%d",
)
_TIME_SUFFIXES = ("", " %H:%M:%S", " %H:%M", "T%H:%M:%S", " %H时%M分%S秒", " %H时%M分")
# after 日 / 号 a time often follows without a space: 2024年5月8日13时22分
_CJK_TIGHT_SUFFIXES = ("%H时%M分%S秒", "%H时%M分", "%H:%M:%S", "%H:%M")
_DMY = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_MDY = ("%m/%d/%Y", "%m-%d-%Y")


def blank(x: str) -> str:
    """Trimmed text, NULL when empty or a placeholder such as 'null', 'N/A', '-', '无'."""
    # fast path first: a value whose first character starts no placeholder and is no space,
    # and whose last character is no space, is kept as it is. Each test is one substring
    # search of a character in a short constant string: lower() and trim() on every value,
    # or list_contains() over a constant list, cost seconds per 10M values and column.
    # x[1] and x[-1] are code points, and UTF-8 matches a whole code point only at a code
    # point of the constant, so the search is an exact membership test. NULL is answered
    # before the slow branches: sparse columns (a company's fields on a person) are mostly NULL
    return (
        f"case when {x} <> '' and not contains({_PLACEHOLDER_STARTS}, {x}[1]) "
        f"and not contains({_SPACE_CHARS}, {x}[-1]) then {x} "
        f"when {x} is null then null "
        f"when {one_of(f'lower(trim({x}))', _PLACEHOLDERS)} then null "
        f"else nullif(trim({x}), '') end"
    )


def one_of(x: str, values: tuple[str, ...]) -> str:
    """``x IN (values)`` as one scalar test per row (see ``Engine``: the rewrite of constant
    lists into joins is off, so an unused field's test is pruned with its column)."""
    return f"list_contains({_sql_list(values)}, {x})"


_PLACEHOLDERS = ("", "null", "none", "nan", "n/a", "na", "-", "--", "无", "空", "未填写", "#n/a")
# the spaces DuckDB's trim() removes: Unicode space separators (the ideographic space U+3000
# of Chinese input among them), not tabs or line breaks
SPACES = tuple(c for c in map(chr, range(0x3001)) if unicodedata.category(c) == "Zs")
# the same as SQL string literals of characters (none of them is a quote)
_SPACE_CHARS = "'" + "".join(SPACES) + "'"
# characters a value may start with when blank() changes it: a space (trimmed away) or the
# first character of a placeholder, in either case
_PLACEHOLDER_STARTS = (
    "'"
    + "".join(
        sorted({p[0] for p in _PLACEHOLDERS if p} | {p[0].upper() for p in _PLACEHOLDERS if p})
    )
    + "".join(SPACES)
    + "'"
)
_TRUE = ("是", "有", "y", "yes", "true", "t", "1", "已退货", "已用券", "√")
_FALSE = ("否", "无", "n", "no", "false", "f", "0", "未退货", "未用券", "×")
_MALE = ("男", "m", "male", "先生", "男性", "man", "1")
_FEMALE = ("女", "f", "female", "女士", "女性", "小姐", "woman", "2")


def _sql_list(items: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join("'" + i.replace("'", "''") + "'" for i in items) + "]"


def timestamp_expr(x: str, *, day_first: bool, timezone: str) -> str:
    """Any common date/time text -> TIMESTAMP (local time in ``timezone``)."""
    numeric_first = _DMY if day_first else _MDY
    cjk = [
        d + t for d in _DATE_FORMATS if "年" in d for t in (*_TIME_SUFFIXES, *_CJK_TIGHT_SUFFIXES)
    ]
    others = [
        d + t for d in (*_DATE_FORMATS, *numeric_first) if "年" not in d for t in _TIME_SUFFIXES
    ]
    tz = timezone.replace("'", "''")
    v = f"({x})"
    iso_local = (
        f"length({v}) between 8 and 19 and {v}[5] in ('-', '/') and not ends_with({v}, 'Z') "
        f"and not contains(substr({v}, 11), '+') and not contains(substr({v}, 11), '-')"
    )
    # fast path for the common cases, local time year first: 2024-05-08 13:22:01, 2024/5/8 9:05
    # (DuckDB's own cast reads both); COALESCE evaluates the other shapes only for the rows
    # it leaves NULL, so the cast runs once per value, not once to test and once to take
    return (
        f"coalesce(case when {iso_local} then try_cast({v} as timestamp) end, "
        # zone given (2024-05-08T13:22:01+08:00, ...Z): convert to the workspace's zone
        f"case when regexp_matches({v}, '(Z|[+-]\\d{{2}}:?\\d{{2}})$') "
        f"then timezone('{tz}', try_cast({v} as timestamptz)) end, "
        f"case when {v} is null then null "
        # Excel serial day numbers (1954..2173)
        f"when regexp_matches({v}, '^\\d{{5}}(\\.\\d+)?$') "
        f"then timestamp '1899-12-30' + to_microseconds("
        f"cast(round(cast({v} as double) * 86400000000) as bigint)) "
        # Unix epoch seconds / milliseconds
        f"when regexp_matches({v}, '^1\\d{{9}}$') "
        f"then timezone('{tz}', to_timestamp(cast({v} as bigint))) "
        f"when regexp_matches({v}, '^1\\d{{12}}$') "
        f"then timezone('{tz}', to_timestamp(cast({v} as bigint) / 1000.0)) "
        f"when regexp_matches({v}, '^\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}([ T].*)?$') "
        f"then try_cast({v} as timestamp) "
        # the remaining shapes go to the only formats that can read them: a failed strptime
        # costs as much as a successful one, and 40 of them per value cost seconds per million
        f"when contains({v}, '年') then try_strptime({v}, {_sql_list(cjk)}) "
        f"when regexp_full_match({v}, '\\d{{8}}') then try_strptime({v}, '%Y%m%d') "
        f"else try_strptime({v}, {_sql_list(others)}) end)"
    )


def date_expr(x: str, *, day_first: bool, timezone: str) -> str:
    return f"cast({timestamp_expr(x, day_first=day_first, timezone=timezone)} as date)"


def number_expr(x: str) -> str:
    """'¥1,299.00', '1299元', '25岁', '3次' -> DOUBLE. Ranges such as '5-8' do not parse."""
    cleaned = (
        f"regexp_replace(regexp_replace({x}, '[,，\\s]', '', 'g'), "
        f"'^(¥|￥|RMB|CNY|\\$)|(元|块|岁|次|单|分|秒|s|sec)$', '', 'gi')"
    )
    # plain numbers skip the regular expressions; infinities are not amounts
    return (
        f"case when isfinite(try_cast({x} as double)) then try_cast({x} as double) "
        f"else try_cast(try_cast({cleaned} as decimal(38, 6)) as double) end"
    )


def integer_expr(x: str) -> str:
    n = number_expr(x)
    return f"case when {n} = round({n}) then cast({n} as bigint) end"


def boolean_expr(x: str) -> str:
    v = f"lower({x})"
    return f"case when {one_of(v, _TRUE)} then true when {one_of(v, _FALSE)} then false end"


def gender_expr(x: str) -> str:
    v = f"lower({x})"
    return f"case when {one_of(v, _MALE)} then 'male' when {one_of(v, _FEMALE)} then 'female' end"


def phone_expr(x: str) -> str:
    """Chinese mobile and landline numbers -> E.164; anything else NULL.

    '+86 138 0013 8000', '0086-13800138000', '138-0013-8000' -> '+8613800138000';
    '010-62345678' and '+86 10 6234 5678' -> '+861062345678'.
    """
    digits = f"regexp_replace({x}, '[^0-9+]', '', 'g')"
    national = (
        f"regexp_replace(regexp_replace({digits}, '^(\\+86|0086)', ''), "
        f"'^86(1[3-9]\\d{{9}})$', '\\1')"
    )
    # with the country code a landline drops its trunk 0: '+86 10 6234 5678'
    international = f"regexp_matches({digits}, '^(\\+86|0086)')"
    return (
        f"case when regexp_matches({national}, '^1[3-9]\\d{{9}}$') then '+86' || {national} "
        f"when regexp_matches({national}, '^0[1-9]\\d{{8,10}}$') "
        f"then '+86' || substr({national}, 2) "
        f"when {international} and regexp_matches({national}, '^[1-9]\\d{{8,10}}$') "
        f"then '+86' || {national} "
        f"end"
    )


def email_expr(x: str) -> str:
    v = f"lower({x})"
    return (
        f"case when regexp_matches({v}, '^[a-z0-9._%+\\-]+@[a-z0-9.\\-]+\\.[a-z]{{2,}}$') "
        f"then {v} end"
    )


def credit_code_expr(x: str) -> str:
    """Unified social credit code (GB 32100-2015): 18 characters, no I O S V Z."""
    v = f"upper(regexp_replace({x}, '\\s', '', 'g'))"
    code = "^[0-9A-HJ-NPQRTUWXY]{2}\\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"
    return f"case when regexp_matches({v}, '{code}') then {v} end"


def id_number_expr(x: str) -> str:
    v = f"upper(regexp_replace({x}, '\\s', '', 'g'))"
    return f"case when regexp_matches({v}, '^\\d{{17}}[0-9X]$') then {v} end"


# fields whose standardisation is more specific than their type
_SPECIAL = {
    "gender": gender_expr,
    "phone": phone_expr,
    "email": email_expr,
    "credit_code": credit_code_expr,
    "id_number": id_number_expr,
}


def field_expr(field: Field, raw: str, *, day_first: bool, timezone: str) -> str:
    """Typed value of ``field`` from the (already blanked) raw expression."""
    if field.name in _SPECIAL:
        return _SPECIAL[field.name](raw)
    if field.type == "timestamp":
        return timestamp_expr(raw, day_first=day_first, timezone=timezone)
    if field.type == "date":
        return date_expr(raw, day_first=day_first, timezone=timezone)
    if field.type == "integer":
        return integer_expr(raw)
    if field.type == "decimal":
        return number_expr(raw)
    if field.type == "boolean":
        return boolean_expr(raw)
    if field.type == "json":
        return f"try_cast({raw} as json)"  # NULL unless valid JSON
    return raw
