"""Mapping an extract's headers to the canonical columns, and the preset JSON."""

from __future__ import annotations

import doctest
import importlib

import pytest

from cxdata.ingest import MappingPreset, PresetError, suggest_mapping
from cxdata.ingest.mapping import resolve_mapping, rules_for


@pytest.mark.parametrize("table, headers, expected", [
    ("transactions", ["Клиент", "Дата", "Сумма", "Номер чека"],
     {"Клиент": "customer_id", "Дата": "occurred_at", "Сумма": "amount", "Номер чека": "transaction_id"}),
    ("transactions", ["ID клиента", "Дата покупки", "Итого", "Товар", "Канал"],
     {"ID клиента": "customer_id", "Дата покупки": "occurred_at", "Итого": "amount", "Товар": "product",
      "Канал": "channel"}),
    ("transactions", ["customerID", "TotalCharges", "Order Date"],
     {"customerID": "customer_id", "TotalCharges": "amount", "Order Date": "occurred_at"}),
    ("surveys", ["ID клиента", "Дата опроса", "Оценка", "CSAT", "CES", "Комментарий"],
     {"ID клиента": "customer_id", "Дата опроса": "responded_at", "Оценка": "nps", "CSAT": "csat", "CES": "ces",
      "Комментарий": "comment"}),
    ("surveys", ["NPS", "Удовлетворённость"], {"NPS": "nps", "Удовлетворённость": "csat"}),
    ("complaints", ["Complaint ID", "Date received", "Product", "Issue", "Consumer complaint narrative"],
     {"Complaint ID": "complaint_id", "Date received": "opened_at", "Product": "category",
      "Consumer complaint narrative": "text"}),
    ("customers", ["Клиент", "Дата регистрации", "Сегмент", "Регион", "Канал привлечения", "Стоимость привлечения"],
     {"Клиент": "customer_id", "Дата регистрации": "signup_at", "Сегмент": "segment", "Регион": "region",
      "Канал привлечения": "acquisition_channel", "Стоимость привлечения": "acquisition_cost"}),
    ("churn_events", ["Клиент", "Дата ухода", "Причина"],
     {"Клиент": "customer_id", "Дата ухода": "churned_at", "Причина": "reason"}),
])
def test_aliases_suggest_the_canonical_columns(table, headers, expected):
    assert suggest_mapping(table, headers) == expected


def test_the_first_matching_header_takes_a_column():
    assert suggest_mapping("transactions", ["Сумма", "Итого"]) == {"Сумма": "amount"}


def test_preset_columns_win_and_aliases_fill_the_rest():
    headers = ["Клиент", "Дата", "Сумма", "Примечание", "Итого"]
    mapping = resolve_mapping("transactions", headers, {"Итого": "amount", "Сумма": None}, {"channel": "web"})
    assert mapping == {"Итого": "amount", "Клиент": "customer_id", "Дата": "occurred_at"}


@pytest.mark.parametrize("columns, constants, message", [
    ({"Сумма": "price"}, {}, "names price, which transactions does not have"),
    ({"A": "amount", "B": "amount"}, {}, "two columns of the file to the same column: amount"),
    ({"A": "amount"}, {"amount": "1"}, "both mapped and given as constants: amount"),
])
def test_a_preset_that_does_not_fit_the_table_is_a_value_error(columns, constants, message):
    with pytest.raises(ValueError, match=message):
        resolve_mapping("transactions", ["A", "B", "Сумма"], columns, constants)


def test_unknown_tables_are_refused_with_the_list():
    with pytest.raises(ValueError, match="loadable tables: customers, transactions"):
        rules_for("meta")


def test_table_rules_come_from_the_schema():
    rules = rules_for("transactions")
    assert rules.required == ("transaction_id", "occurred_at", "amount")
    assert rules.generated_key == "transaction_id" and rules.key == ("transaction_id",)
    assert rules_for("journey_events").key == () and rules_for("customers").generated_key is None


def test_preset_round_trip_and_fingerprint():
    data = {"columns": {"Сумма": "amount", "Лишнее": None}, "constants": {"channel": "web"},
            "date_format": "%d.%m.%Y", "decimal": ",", "delimiter": "tab", "encoding": "CP1251",
            "missing_values": ["-99", "n/a"]}
    preset = MappingPreset.from_dict(data)
    assert preset.delimiter == "\t" and preset.encoding == "cp1251"
    again = MappingPreset.from_dict(preset.to_dict())
    assert again == preset and again.fingerprint() == preset.fingerprint()
    assert MappingPreset.from_dict({}).fingerprint() != preset.fingerprint()


@pytest.mark.parametrize("data, message", [
    ({"colums": {}}, "unknown keys: colums"),
    ({"delimiter": ":"}, 'delimiter ":" is not supported'),
    ({"decimal": "'"}, "decimal separator \"'\" is not supported"),
    ({"encoding": "klingon"}, 'encoding "klingon" is unknown'),
    ({"missing_values": "-99"}, '"missing_values" in the preset must be a list'),
    ({"columns": {"A": 1}}, '"columns" → "A" in the preset must be a plain text value'),
    ([], "must be a JSON object"),
])
def test_bad_presets_say_what_is_wrong(data, message):
    with pytest.raises(PresetError, match=message):
        MappingPreset.from_dict(data)


@pytest.mark.parametrize("name", ["cxdata.ingest.mapping", "cxdata.ingest.export_safety"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
