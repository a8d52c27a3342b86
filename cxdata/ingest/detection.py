"""Deciding how to read the values of a column, in DuckDB (no Python loop per value).

Numbers: the decimal separator is decided once per file from the values that can only be read
one way ("12,5" or "1.234,56" only with a decimal comma, "12.5" or "1,234.56" only with a point),
looking at up to ``reading.SAMPLE_ROWS`` rows spread over the file; every value of a mapped
column is then read with it, and a value written the other way is reported, never misread.
When every telling value is ambiguous ("1,234") the delimiter decides (``;`` files use a decimal
comma) and a warning says so. Groups of thousands may be separated by a space, a no-break space,
a narrow no-break space or the other punctuation mark. ``−`` (U+2212) counts as a minus sign.

Dates: a column's format is decided on every value of the column: the one that reads them all
(or the most of them; the rest are reported). Supported: ISO ``%Y-%m-%d``, ``%d.%m.%Y``,
``%d.%m.%y``, ``%d/%m/%Y``, ``%m/%d/%Y``, ``%d-%m-%Y`` (each optionally with a time), ``%Y%m%d``
and Excel serial day numbers (``excel``; the last two only for columns mapped to a date, since
they look like plain numbers). When both ``%d/%m/%Y`` and ``%m/%d/%Y`` read every value and give
different days, the column needs a decision: it is never guessed. Dotted dates are day first
(the Russian and German convention).
"""

from __future__ import annotations

from dataclasses import dataclass

_SIGN = "[+\\-\u2212]?"
_SPACE_GROUPS = "([ \u00a0\u202f]\\d{3})+"
NUMBER_PATTERNS = {
    ".": f"^{_SIGN}(\\d{{1,3}}((,\\d{{3}})+|{_SPACE_GROUPS})|\\d+)(\\.\\d+)?([eE][+-]?\\d+)?$",
    ",": f"^{_SIGN}(\\d{{1,3}}((\\.\\d{{3}})+|{_SPACE_GROUPS})|\\d+)(,\\d+)?$",
}
_GROUPING_CHARACTERS = {".": "[, \u00a0\u202f]", ",": "[. \u00a0\u202f]"}
_DATE_SHAPE = "^\\d{1,4}[./-]\\d{1,2}[./-]\\d{1,4}([ T].*)?$"

_TIME = "( \\d{1,2}:\\d{2}(:\\d{2})?)?"
_AMPM_TIME = "( \\d{1,2}:\\d{2}(:\\d{2})?( ?[AaPp][Mm])?)?"


@dataclass(frozen=True)
class _Family:
    """Dates written one way: a pattern for the whole value and the strptime format of the date
    part; the time part (none, HH:MM or HH:MM:SS, AM/PM where allowed) picks the full format."""

    pattern: str
    date: str
    ampm: bool = False


_FAMILIES = {
    "%d.%m.%Y": _Family("^\\d{1,2}\\.\\d{1,2}\\.\\d{4}" + _TIME + "$", "%d.%m.%Y"),
    "%d.%m.%y": _Family("^\\d{1,2}\\.\\d{1,2}\\.\\d{2}" + _TIME + "$", "%d.%m.%y"),
    "%d/%m/%Y": _Family("^\\d{1,2}/\\d{1,2}/\\d{4}" + _TIME + "$", "%d/%m/%Y"),
    "%m/%d/%Y": _Family("^\\d{1,2}/\\d{1,2}/\\d{4}" + _AMPM_TIME + "$", "%m/%d/%Y", ampm=True),
    "%d-%m-%Y": _Family("^\\d{1,2}-\\d{1,2}-\\d{4}" + _TIME + "$", "%d-%m-%Y"),
    "%Y%m%d": _Family("^\\d{8}$", "%Y%m%d"),
}
ISO = "%Y-%m-%d"
EXCEL = "excel"
_ISO_PATTERN = "^\\d{4}-\\d{1,2}-\\d{1,2}([ T]\\d{1,2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?( ?(Z|[+-]\\d{2}(:?\\d{2})?))?)?$"
# An ISO time with a UTC offset ("…T10:00:00+03:00", "… 10:00Z"): converted to the workspace's time zone.
_ISO_OFFSET_PATTERN = "^[^ T]+[ T]\\d{1,2}:\\d{2}.*(Z|[+-]\\d{2}(:?\\d{2})?)$"
# Excel serial days 20000..80000 are 1954..2119: plausible business dates, and not confused with
# small counts or ids that happen to be numbers.
_EXCEL_PATTERN = "^\\d{5}(\\.\\d+)?$"
_EXCEL_RANGE = (20000, 80000)
TEXT_FORMATS = (ISO, "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y")
NUMERIC_FORMATS = ("%Y%m%d", EXCEL)
_ALIASES = {"iso": ISO, "excel": EXCEL, "excel_serial": EXCEL}
DAY_FIRST, MONTH_FIRST = "%d/%m/%Y", "%m/%d/%Y"


class Params:
    """Named query parameters collected while SQL text is built (values never enter the text)."""

    def __init__(self):
        self.values: dict[str, object] = {}

    def add(self, value) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def sql_text(text: str) -> str:
    """A constant of this module (a pattern, a format) as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def number_sql(value: str, decimal: str) -> str:
    """SQL: the DOUBLE a cleaned text value stands for with this decimal separator, else NULL.

    Plain numbers take a cheap path; the full pattern (groups of thousands, U+2212 minus) only
    runs on the rest: DuckDB's TRY_ functions are slow on values that fail.
    """
    simple = "^[+-]?\\d+(\\.\\d+)?([eE][+-]?\\d+)?$" if decimal == "." else "^[+-]?\\d+(,\\d+)?$"
    plain_value = value if decimal == "." else f"replace({value}, ',', '.')"
    pattern, grouping = sql_text(NUMBER_PATTERNS[decimal]), sql_text(_GROUPING_CHARACTERS[decimal])
    grouped = f"regexp_replace(replace({value}, '\u2212', '-'), {grouping}, '', 'g')"
    if decimal == ",":
        grouped = f"replace({grouped}, ',', '.')"
    return (f"CASE WHEN regexp_full_match({value}, {sql_text(simple)}) THEN TRY_CAST({plain_value} AS DOUBLE) "
            f"WHEN regexp_full_match({value}, {pattern}) THEN TRY_CAST({grouped} AS DOUBLE) END")


def normalize_date_format(text: str) -> str:
    return _ALIASES.get(text.strip().lower(), text.strip())


def date_sql(value: str, date_format: str, params: Params, time_zone: str = "UTC") -> str:
    """SQL: the TIMESTAMP a cleaned text value stands for in this format, else NULL. An ISO value
    with a UTC offset becomes the wall-clock time in ``time_zone`` (stored timestamps are naive, in
    the workspace's time zone); one without is taken as already in it."""
    date_format = normalize_date_format(date_format)
    if date_format == ISO:
        with_offset = (f"timezone({params.add(time_zone)}, TRY_CAST({value} AS TIMESTAMPTZ))")
        return (f"CASE WHEN regexp_full_match({value}, {sql_text(_ISO_PATTERN)}) THEN CASE WHEN "
                f"regexp_full_match({value}, {sql_text(_ISO_OFFSET_PATTERN)}) THEN {with_offset} "
                f"ELSE TRY_CAST({value} AS TIMESTAMP) END END")
    if date_format == EXCEL:
        low, high = _EXCEL_RANGE
        days = f"TRY_CAST({value} AS DOUBLE)"
        return (f"CASE WHEN regexp_full_match({value}, {sql_text(_EXCEL_PATTERN)}) AND {days} BETWEEN {low} AND {high} "
                f"THEN TIMESTAMP '1899-12-30' + to_seconds(CAST(round({days} * 86400) AS BIGINT)) END")
    if date_format in _FAMILIES:
        family = _FAMILIES[date_format]
        colons = f"length({value}) - length(replace({value}, ':', ''))"
        ampm = ""
        if family.ampm:
            times = (" %I:%M %p", " %I:%M:%S %p", " %I:%M%p", " %I:%M:%S%p")
            formats = ", ".join(sql_text(family.date + t) for t in times)
            ampm = f"WHEN regexp_matches({value}, '[AaPp][Mm]$') THEN try_strptime({value}, [{formats}]) "
        return (f"CASE WHEN regexp_full_match({value}, {sql_text(family.pattern)}) THEN CASE "
                f"WHEN NOT contains({value}, ':') THEN try_strptime({value}, {sql_text(family.date)}) {ampm}"
                f"WHEN {colons} = 1 THEN try_strptime({value}, {sql_text(family.date + ' %H:%M')}) "
                f"ELSE try_strptime({value}, {sql_text(family.date + ' %H:%M:%S')}) END END")
    return f"try_strptime({value}, {params.add(date_format)})"  # the user's own strftime format


@dataclass(frozen=True)
class DateDecision:
    """How a column's dates are read. ``date_format`` is None when the column needs a decision
    (``choices`` then lists the readings) or is not a date column."""

    date_format: str | None
    matched: int = 0
    total: int = 0
    needs_decision: bool = False
    choices: tuple[str, ...] = ()
    example: str | None = None
    overridden: bool = False


def decide_date_format(con, source: str, column: str, *, include_numeric: bool, override: str | None = None,
                       sample: str | None = None) -> DateDecision:
    """The date format of ``column`` of table ``source`` (cleaned values), decided on every value.

    ``sample`` (a table with the same columns) only narrows which formats are tried on the whole
    column: those that read at least one sampled value (day/month and month/day go together).
    """
    total = con.execute(f'SELECT count("{column}") FROM {source}').fetchall()[0][0]
    if override:
        return DateDecision(normalize_date_format(override), total=total, overridden=True)
    formats = TEXT_FORMATS + (NUMERIC_FORMATS if include_numeric else ())
    if sample is not None:
        sampled = _date_counts(con, sample, column, formats)
        formats = tuple(f for f in formats if sampled[f] or (f in (DAY_FIRST, MONTH_FIRST) and
                                                             sampled[DAY_FIRST] + sampled[MONTH_FIRST]))
    if not formats:
        return DateDecision(None, total=total)
    matched = _date_counts(con, source, column, formats)
    best = max(matched.values())
    if best == 0:
        return DateDecision(None, total=total)
    leaders = [f for f in formats if matched[f] == best]
    if DAY_FIRST in leaders and MONTH_FIRST in leaders:
        params = Params()
        value = f'"{column}"'
        differ = f"{date_sql(value, DAY_FIRST, params)} IS DISTINCT FROM {date_sql(value, MONTH_FIRST, params)}"
        example = con.execute(f"SELECT any_value({value}) FILTER (WHERE {differ}) FROM {source}",
                              params.values).fetchall()[0][0]
        if example is not None:
            return DateDecision(None, best, total, needs_decision=True, choices=(DAY_FIRST, MONTH_FIRST),
                                example=example)
    return DateDecision(leaders[0], best, total)


def _date_counts(con, source: str, column: str, formats) -> dict[str, int]:
    params, value = Params(), f'"{column}"'
    counts = ", ".join(f"count({date_sql(value, f, params)})" for f in formats)
    row = con.execute(f"SELECT {counts} FROM {source}", params.values).fetchall()[0]
    return dict(zip(formats, row))


@dataclass(frozen=True)
class NumberEvidence:
    """How the values of one column read as numbers under each decimal separator."""

    total: int
    valid: dict[str, int]  # decimal -> values that read as a number with it
    only: dict[str, int]  # decimal -> values that read as a number only with it
    ambiguous: int  # values that read with both but as different numbers ("1,234")
    ambiguous_example: str | None
    grouped_by: tuple[str, ...]  # thousands separators seen: " ", "\u00a0", "\u202f", ",", "."
    date_shaped: int


# Columns per evidence query. One statement over every column makes DuckDB's planner grow with the
# square of the column count (a 124-column file took 2.3 GB, 400 columns 17 GB); a fixed batch keeps
# the work and the memory linear in the file's width.
EVIDENCE_BATCH_COLUMNS = 16


def collect_number_evidence(con, source: str, columns: list[str]) -> dict[str, NumberEvidence]:
    """Number evidence for every column, one pass over the table per batch of columns."""
    evidence = {}
    for start in range(0, len(columns), EVIDENCE_BATCH_COLUMNS):
        evidence.update(_number_evidence_batch(con, source, columns[start:start + EVIDENCE_BATCH_COLUMNS]))
    return evidence


def _number_evidence_batch(con, source: str, columns: list[str]) -> dict[str, NumberEvidence]:
    if not columns:
        return {}
    flags, aggregates = [], []
    for i, column in enumerate(columns):
        value = f'"{column}"'
        flags.append(f"{value} AS v{i}, regexp_full_match({value}, {sql_text(NUMBER_PATTERNS['.'])}) AS d{i}, "
                     f"regexp_full_match({value}, {sql_text(NUMBER_PATTERNS[','])}) AS c{i}")
        aggregates.append(
            f"count(v{i}), count(*) FILTER (WHERE d{i}), count(*) FILTER (WHERE c{i}), "
            f"count(*) FILTER (WHERE d{i} AND NOT c{i}), count(*) FILTER (WHERE c{i} AND NOT d{i}), "
            f"count(*) FILTER (WHERE d{i} AND c{i} AND regexp_matches(v{i}, '[.,]')), "
            f"any_value(v{i}) FILTER (WHERE d{i} AND c{i} AND regexp_matches(v{i}, '[.,]')), "
            f"count(*) FILTER (WHERE (d{i} OR c{i}) AND contains(v{i}, ' ')), "
            f"count(*) FILTER (WHERE (d{i} OR c{i}) AND contains(v{i}, '\u00a0')), "
            f"count(*) FILTER (WHERE (d{i} OR c{i}) AND contains(v{i}, '\u202f')), "
            f"count(*) FILTER (WHERE d{i} AND NOT c{i} AND contains(v{i}, ',')), "
            f"count(*) FILTER (WHERE c{i} AND NOT d{i} AND regexp_matches(v{i}, '\\.\\d{{3}}')), "
            f"count(*) FILTER (WHERE regexp_full_match(v{i}, {sql_text(_DATE_SHAPE)}))"
        )
    row = con.execute(f"SELECT {', '.join(aggregates)} FROM (SELECT {', '.join(flags)} FROM {source})").fetchall()[0]
    evidence, width = {}, 13
    for i, column in enumerate(columns):
        (total, dot, comma, dot_only, comma_only, ambiguous, example, space, nbsp, narrow, dot_commas, comma_dots,
         date_shaped) = row[i * width: (i + 1) * width]
        grouped = tuple(sep for sep, n in ((" ", space), ("\u00a0", nbsp), ("\u202f", narrow), (",", dot_commas),
                                           (".", comma_dots)) if n)
        evidence[column] = NumberEvidence(total, {".": dot, ",": comma}, {".": dot_only, ",": comma_only}, ambiguous,
                                          example, grouped, date_shaped)
    return evidence


@dataclass(frozen=True)
class DecimalDecision:
    decimal: str
    reason: str  # "override", "values", "delimiter", "majority", "default"
    thousands: tuple[str, ...]
    example: str | None = None
    counts: dict[str, int] | None = None


def decide_decimal(evidence: dict[str, NumberEvidence], delimiter: str | None, override: str | None) -> DecimalDecision:
    """The file's decimal separator from the columns that are (mostly) numbers."""
    numeric = [e for e in evidence.values() if e.total and max(e.valid.values()) >= 0.5 * e.total]
    comma = sum(e.only[","] for e in numeric)
    dot = sum(e.only["."] for e in numeric)
    counts = {",": comma, ".": dot}
    example = next((e.ambiguous_example for e in numeric if e.ambiguous), None)
    if override:
        decimal, reason = override, "override"
    elif comma and not dot:
        decimal, reason = ",", "values"
    elif dot and not comma:
        decimal, reason = ".", "values"
    elif comma and dot:
        decimal, reason = ("," if comma > dot else "."), "majority"
    elif example is not None:
        decimal, reason = ("," if delimiter == ";" else "."), "delimiter"
    else:
        decimal, reason = ".", "default"
    thousands = tuple(dict.fromkeys(sep for e in numeric for sep in e.grouped_by if sep != decimal))
    return DecimalDecision(decimal, reason, thousands, example, counts)
