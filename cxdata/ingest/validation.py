"""Checking a read extract against a table's rules and turning it into canonical, typed rows.

Each kind of check is a SQL condition over the workspace table ``staged`` (one row per data row:
``t_<column>`` the text, ``v_<column>`` the parsed value); there is no Python loop per row.
Every problem is reported at once, per row (the first ``ROW_ISSUE_LIMIT`` rows of each problem,
then "... and N more") or per column. Errors reject the upload. Counted and reported, not errors:
negative amounts (refunds), declared missing codes, anonymous survey answers, identical rows,
rows skipped by the preset's ``skip_rows_missing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from cxdata.ingest.detection import (
    ISO,
    Params,
    date_sql,
    decide_date_format,
    number_sql,
)
from cxdata.ingest.keys import add_generated_ids, duplicate_key_issues
from cxdata.ingest.mapping import TableRules, resolve_mapping, rules_for
from cxdata.ingest.messages import ERROR, INFO, ROW_ISSUE_LIMIT, WARNING, Issue, issue
from cxdata.ingest.errors import PresetError
from cxdata.ingest.reading import ROW, Extract
from cxdata.ingest.scales import ScaleDecision, choice_name, decide_scales, parse_choice
from cxdata.model.registry import METRICS
from cxdata.model.rules import DEFAULT_SCALE, SCALE_COLUMNS, SCALES, SCORE_SCALES, scale_range, scale_text

_EARLIEST, _LATEST = "1900-01-01", "2100-12-31"  # dates outside are typos (a year 24 or 2204)
_KINDS = {
    "number": {"en": "numbers", "ru": "число", "article": "a number"},
    "whole number": {"en": "whole numbers", "ru": "целое число", "article": "a whole number"},
    "date": {"en": "dates", "ru": "дата", "article": "a date"},
}
# Tables whose rows without a customer column are loaded only when the analyst marks the file anonymous.
ANONYMOUS_ON_REQUEST = ("transactions", "complaints")
_FILE_LEVEL = ("no_customer_column", "missing_required", "ambiguous_dates", "no_values_of_type", "ambiguous_scale", "scale_impossible")


@dataclass
class Validated:
    """Validation's outcome: the rows that passed, as canonical columns plus ``__row`` (``data``),
    the effective mapping and formats, every issue, and the counts for the report."""

    table: str
    mapping: dict[str, str]
    generated_key: str | None
    date_formats: dict[str, str]
    issues: list[Issue]
    counts: dict[str, int]
    rows_read: int
    rows_rejected: int
    rows_skipped: int
    data: pa.Table
    scales: dict[str, ScaleDecision] = field(default_factory=dict)  # score column -> its scale

    @property
    def has_errors(self) -> bool:
        return any(i.is_error for i in self.issues)

    @property
    def has_file_level_error(self) -> bool:
        return any(i.is_error and i.code in _FILE_LEVEL for i in self.issues)


@dataclass(frozen=True)
class _Check:
    code: str
    condition: str  # SQL over ``staged``: true for a row with this problem
    field: str | None
    header: str | None
    value: str  # SQL: the value the message shows
    params: tuple = ()
    kind: str | None = None  # set for parse checks: "number", "whole number" or "date"


def validate_extract(extract: Extract, table: str, time_zone: str = "UTC") -> Validated:
    """Map, parse and check ``extract`` for ``table``; times with a UTC offset are converted to
    ``time_zone`` (the workspace's). ValueError for a preset that does not fit it."""
    rules, preset = rules_for(table), extract.options
    unknown_skip = sorted(set(preset.skip_rows_missing) - set(rules.columns))
    if unknown_skip:
        raise PresetError("preset_skip_unknown", table=table, columns=", ".join(unknown_skip[:5]))
    # A declared scale also says which score the column is ("scales": {"Score": "csat_1_5"}).
    declared = {header: parse_choice(choice)[0] for header, choice in preset.scales.items()}
    mapping = resolve_mapping(table, extract.headers, {**preset.columns, **declared}, preset.constants)
    by_field = {column: header for header, column in mapping.items()}
    generated = rules.generated_key if rules.generated_key not in (*by_field, *preset.constants) else None
    issues = list(extract.issues) + _mapping_issues(extract, rules, mapping, by_field, generated)
    con, params = extract.workspace, Params()
    scales = decide_scales(extract, by_field, preset.scales) if table == "surveys" else {}
    selects, checks, date_formats, texts = [], [], {}, {}
    data_columns = [c for c in rules.columns if c != generated]
    for column in data_columns:
        has_source = column in by_field or column in preset.constants
        scored = next((score for score, name in SCALE_COLUMNS.items() if name == column), None)
        if not has_source and scored in texts and scales.get(scored) and scales[scored].top:
            top = scales[scored].top  # the scale's top, stored with every answer of the column
            selects.append(f"CAST(NULL AS VARCHAR) AS t_{column}, "
                           f"CASE WHEN {texts[scored]} IS NOT NULL THEN {int(top)} END AS v_{column}")
            continue
        if not has_source:  # a missing required column is one file-level issue, not one per row
            selects.append(f"CAST(NULL AS VARCHAR) AS t_{column}, CAST(NULL AS {rules.types[column]}) AS v_{column}")
            continue
        text, header = _source_sql(extract, column, by_field, params)
        texts[column] = text
        value, column_checks, date_format, problem = _parse(extract, column, header, text, rules.types[column], params,
                                                            scales.get(column), time_zone)
        issues += [problem] if problem else []
        if date_format:
            date_formats[column] = date_format
        selects.append(f"{text} AS t_{column}, {value} AS v_{column}")
        checks += column_checks
        if column in rules.required and column not in preset.skip_rows_missing:
            checks.append(_Check("required_value_missing", f"t_{column} IS NULL", column, header, "NULL"))
    checks += _row_rules(rules, by_field)
    skipped = " OR ".join(f"t_{c} IS NULL" for c in preset.skip_rows_missing) or "false"
    con.execute(f"CREATE OR REPLACE TABLE staged AS SELECT {ROW}, {', '.join(selects)}, ({skipped}) AS is_skipped "
                f"FROM clean", params.values)
    found, rows_with_errors = _run_checks(con, checks)
    issues += found
    summaries, counts = _summaries(con, extract, rules, by_field)
    issues += summaries + _scale_issues(scales)
    any_error = " OR ".join(f"coalesce({c.condition}, false)" for c in checks) or "false"
    typed = ", ".join(f"TRY_CAST(v_{c} AS {rules.types[c]}) AS {c}" for c in data_columns)
    con.execute(f"CREATE OR REPLACE TABLE loadable AS SELECT {ROW}, {typed} FROM staged "
                f"WHERE NOT is_skipped AND NOT ({any_error})")
    key = [c for c in rules.key if c != generated]
    duplicates, duplicate_count = duplicate_key_issues(con, "loadable", key, rules.required, by_field) \
        if key and not generated else ([], 0)
    issues += duplicates
    if generated:
        identical = add_generated_ids(con, "loadable", table, generated, data_columns)
        counts["identical_rows"] = identical.count if identical else 0
        issues += [identical] if identical else []
    data = con.sql(f"SELECT {ROW}, {', '.join(rules.columns)} FROM loadable ORDER BY {ROW}").to_arrow_table()
    for name in ("staged", "loadable"):  # the rows live on in ``data``: free the workspace's copies for the load
        con.execute(f"DROP TABLE IF EXISTS {name}")
    result = Validated(table, mapping, generated, date_formats, issues, counts, extract.rows_read, 0, counts["skipped"],
                       data, scales)
    result.rows_rejected = extract.rows_read if result.has_file_level_error else (
        rows_with_errors + extract.malformed_rows + duplicate_count)
    return result


def _mapping_issues(extract: Extract, rules: TableRules, mapping: dict, by_field: dict, generated) -> list[Issue]:
    preset = extract.options
    issues = [issue("mapped_column_absent", WARNING, column=h) for h, c in preset.columns.items()
              if c is not None and h not in extract.headers]
    # A header the preset maps to null is kept out on purpose: not reported.
    issues += [issue("unknown_column", WARNING, column=h, table=rules.name) for h in extract.headers
               if h not in mapping and preset.columns.get(h, "") is not None]
    unmapped = [h for h in extract.headers if h not in mapping]
    hint = {"en": f" (columns not mapped yet: {', '.join(unmapped)})" if unmapped else "",
            "ru": f" (несопоставленные столбцы: {', '.join(unmapped)})" if unmapped else ""}
    issues += [issue("missing_required", ERROR, field=c, hint=hint) for c in rules.required
               if c not in by_field and c not in preset.constants and c != generated]
    if generated:
        issues.append(issue("generated_ids", INFO, field=generated))
    no_customer = "customer_id" not in by_field and "customer_id" not in preset.constants
    if rules.name == "surveys" and no_customer:
        issues.append(issue("anonymous_responses", INFO, field="customer_id", count=extract.rows_read))
    if rules.name in ANONYMOUS_ON_REQUEST and no_customer:
        # Money or complaints that belong to no one must be meant: refused unless marked anonymous.
        issues.append(issue("anonymous_rows", INFO, field="customer_id", count=extract.rows_read, table=rules.name)
                      if preset.anonymous else issue("no_customer_column", ERROR, field="customer_id", table=rules.name))
    return issues


def _source_sql(extract: Extract, column: str, by_field: dict, params: Params) -> tuple[str, str | None]:
    """SQL for the column's text (a workspace column or a constant parameter) and its header."""
    if column in by_field:
        header = by_field[column]
        return f'"{extract.columns[header].source}"', header
    return f"CAST({params.add(extract.options.constants[column])} AS VARCHAR)", None


def _scale_issues(scales: dict[str, ScaleDecision]) -> list[Issue]:
    """A score column that needs a decision or fits no scale refuses the file; a detected scale is said."""
    issues = []
    for score, decision in scales.items():
        values = {"column": decision.header, "field": score, "low": decision.low, "high": decision.high}
        if decision.scale is None and decision.choices:
            issues.append(issue("ambiguous_scale", ERROR, **values, header=decision.header,
                                choices=" / ".join(f'"{c}"' for c in decision.choices)))
        elif decision.scale is None:
            issues.append(issue("scale_impossible", ERROR, **values, scales=", ".join(scale_text(s) for s in SCALES)))
        elif not decision.declared and decision.low is not None and \
                scale_range(decision.scale)[0] <= decision.low and decision.high <= scale_range(decision.scale)[1]:
            issues.append(issue("scale_detected", INFO, **values, score=decision.score.upper(),
                                scale=scale_text(decision.scale), header=decision.header,
                                choice=choice_name(decision.score, decision.scale)))
    return issues


def _parse(extract: Extract, column: str, header: str | None, text: str, sql_type: str, params: Params,
           scale: ScaleDecision | None = None, time_zone: str = "UTC"):
    """(value SQL, checks, date format, column-level error) for one canonical column."""
    if sql_type == "VARCHAR":
        return text, [], None, None
    if sql_type in ("DOUBLE", "TINYINT", "INTEGER"):
        kind = "number" if sql_type == "DOUBLE" else "whole number"
        checks = [_Check("not_a_number", f"t_{column} IS NOT NULL AND v_{column} IS NULL", column, header,
                         f"t_{column}", kind=kind)]
        if sql_type != "DOUBLE":
            checks.append(_Check("not_a_whole_number", f"v_{column} <> round(v_{column})", column, header,
                                 f"t_{column}"))
        if column in SCORE_SCALES:
            low, high = scale_range(scale.scale if scale is not None and scale.scale else DEFAULT_SCALE[column])
            checks.append(_Check("out_of_range", f"v_{column} NOT BETWEEN {low} AND {high}", column, header,
                                 f"t_{column}", (("low", low), ("high", high))))
        if column == "acquisition_cost":
            checks.append(_Check("negative_value", f"v_{column} < 0", column, header, f"t_{column}"))
        return number_sql(text, extract.decimal.decimal), checks, None, None
    decision = _date_decision(extract, header, text, params)
    if decision.needs_decision:
        choices = " / ".join(f'"{c}"' for c in decision.choices)
        problem = issue("ambiguous_dates", ERROR, column=header, field=column, value=decision.example, choices=choices)
        return "CAST(NULL AS TIMESTAMP)", [], None, problem
    date_format = decision.date_format or ISO
    checks = [
        _Check("not_a_date", f"t_{column} IS NOT NULL AND v_{column} IS NULL", column, header, f"t_{column}",
               (("date_format", date_format),), kind="date"),
        _Check("out_of_range", f"v_{column} NOT BETWEEN TIMESTAMP '{_EARLIEST}' AND TIMESTAMP '{_LATEST} 23:59:59'",
               column, header, f"t_{column}", (("low", _EARLIEST), ("high", _LATEST))),
    ]
    return date_sql(text, date_format, params, time_zone), checks, date_format, None


def _date_decision(extract: Extract, header: str | None, text: str, params: Params):
    if header is not None:
        return extract.date_decision(header, include_numeric=True)
    con = extract.workspace  # a constant: decided on its one value
    con.execute(f"CREATE OR REPLACE TEMP TABLE constant_probe AS SELECT {text} AS v", params.values)
    return decide_date_format(con, "constant_probe", "v", include_numeric=True)


def _row_rules(rules: TableRules, by_field: dict) -> list[_Check]:
    """Rules across the columns of one row."""
    checks = []
    pairs = {"complaints": ("opened_at", "resolved_at"), "targets": ("valid_from", "valid_to")}
    if rules.name in pairs:
        start, end = pairs[rules.name]
        checks.append(_Check("end_before_start", f"v_{end} < v_{start}", end, by_field.get(end), f"t_{end}",
                             (("start_field", start),)))
    if rules.name == "targets":
        names = ", ".join(f"'{m}'" for m in METRICS)  # registry names: code constants, not user input
        checks.append(_Check("unknown_metric", f"v_metric NOT IN ({names})", "metric", by_field.get("metric"),
                             "v_metric", (("metrics", ", ".join(METRICS)),)))
    return checks


def _run_checks(con, checks: list[_Check]) -> tuple[list[Issue], int]:
    """The issues of every check (first rows of each) and how many rows have any error."""
    if not checks:
        return [], 0
    counts = ", ".join(f"count(*) FILTER (WHERE {c.condition})" for c in checks)
    any_error = " OR ".join(f"coalesce({c.condition}, false)" for c in checks)
    row = con.execute(f"SELECT {counts}, count(*) FILTER (WHERE {any_error}) FROM staged "
                      f"WHERE NOT is_skipped").fetchall()[0]
    issues = []
    for check, count in zip(checks, row):
        if count:
            issues += _check_issues(con, check, count)
    return issues, row[-1]


def _check_issues(con, check: _Check, count: int) -> list[Issue]:
    examples = con.execute(f"SELECT {ROW}, {check.value} FROM staged WHERE NOT is_skipped AND ({check.condition}) "
                           f"ORDER BY {ROW} LIMIT {ROW_ISSUE_LIMIT}").fetchall()
    rows = [r for r, _ in examples]
    issues = []
    if check.kind:  # a parse check: say whether the column mixes types or holds none of the expected
        good = con.execute(f"SELECT count(v_{check.field}) FROM staged WHERE NOT is_skipped").fetchall()[0][0]
        names = _KINDS[check.kind]
        if good == 0:
            return [issue("no_values_of_type", ERROR, column=check.header, field=check.field, count=count, rows=rows,
                          kind_article=names["article"], kind_ru=names["ru"])]
        issues.append(issue("mixed_types", ERROR, column=check.header, field=check.field, count=count, rows=rows,
                            good=good, bad=count, kind=names["en"], kind_ru=names["ru"]))
    issues += [issue(check.code, ERROR, row=r, column=check.header, field=check.field, value=v, **dict(check.params))
               for r, v in examples]
    if count > len(examples):
        issues.append(issue("more_rows", ERROR, column=check.header, field=check.field, count=count - len(examples)))
    return issues


def _summaries(con, extract: Extract, rules: TableRules, by_field: dict) -> tuple[list[Issue], dict[str, int]]:
    """Facts that do not reject the upload but are counted: refunds, missing codes, skipped rows."""
    issues: list[Issue] = []
    counts = {"refunds": 0, "missing_values": 0, "skipped": 0, "anonymous_responses": 0, "anonymous_rows": 0}
    skipped, rows = con.execute(f"SELECT count(*), list({ROW} ORDER BY {ROW})[1:{ROW_ISSUE_LIMIT}] FROM staged "
                                f"WHERE is_skipped").fetchall()[0]
    if skipped:
        counts["skipped"] = skipped
        issues.append(issue("rows_skipped", INFO, count=skipped, rows=rows,
                            fields=", ".join(extract.options.skip_rows_missing)))
    if "amount" in rules.columns:
        refunds, rows = con.execute(f"SELECT count(*), list({ROW} ORDER BY {ROW})[1:{ROW_ISSUE_LIMIT}] FROM staged "
                                    f"WHERE NOT is_skipped AND v_amount < 0").fetchall()[0]
        counts["refunds"] = refunds
        if refunds:
            issues.append(issue("refunds", INFO, field="amount", column=by_field.get("amount"), count=refunds,
                                rows=rows))
    codes = ", ".join(f'"{c}"' for c in extract.options.missing_values)
    for column, header in by_field.items():
        found = extract.columns[header].missing_codes
        counts["missing_values"] += found
        if found:
            issues.append(issue("missing_codes", INFO, column=header, field=column, count=found, codes=codes))
    if rules.name == "surveys" and "customer_id" not in by_field and "customer_id" not in extract.options.constants:
        counts["anonymous_responses"] = extract.rows_read
    if rules.name in ANONYMOUS_ON_REQUEST and extract.options.anonymous and "customer_id" not in by_field \
            and "customer_id" not in extract.options.constants:
        counts["anonymous_rows"] = extract.rows_read
    return issues, counts
