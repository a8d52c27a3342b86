"""What an upload tells the analyst: issues with row numbers, and their texts in English and Russian.

Row numbers count data rows as a person sees them: row 1 is the first row under the header
(in a spreadsheet program that is sheet row 2); blank lines of a text file are not counted.
An issue is an ``error`` (the upload is rejected), a ``warning`` (loaded, but look at it) or an
``info`` (loaded and counted: refunds, anonymous answers, declared missing codes ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cxdata import i18n

ERROR, WARNING, INFO = "error", "warning", "info"

# How many rows one problem lists before it says "... and N more rows": a file with a million
# bad rows must still give a report a person can read.
ROW_ISSUE_LIMIT = 50


@dataclass(frozen=True)
class Issue:
    """One problem (or notable fact) of an upload.

    ``column`` is the header as it is in the file, ``field`` the canonical column; ``rows`` lists
    the first rows of a summary issue whose total is ``count``.
    """

    code: str
    severity: str
    row: int | None = None
    column: str | None = None
    field: str | None = None
    value: str | None = None
    count: int | None = None
    rows: tuple[int, ...] = ()
    params: tuple[tuple[str, object], ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def message(self, lang: str = "en") -> str:
        values = {"column": header_label(self.column, lang) or self.field or "", "field": self.field or "",
                  "value": self.value, "row": self.row, "count": self.count, "rows": _row_list(self.rows, self.count)}
        for name, value in self.params:  # a parameter may itself be translated: {"en": ..., "ru": ...}
            values[name] = value.get(lang, value["en"]) if isinstance(value, dict) and "en" in value else value
            if name in HEADER_PARAMETERS:
                values[name] = header_label(values[name], lang)
        return i18n.translate(f"ingest_{self.code}", lang, **values)

    def to_dict(self, lang: str = "en") -> dict:
        result = {"row": self.row, "column": header_label(self.column, lang), "field": self.field,
                  "severity": self.severity, "code": self.code, "message": self.message(lang)}
        if self.value is not None:
            result["value"] = self.value
        if self.count is not None:
            result["count"] = self.count
        if self.rows:
            result["rows"] = list(self.rows)
        return result


# Message parameters that hold a header of the file (the ``column`` field is one too).
HEADER_PARAMETERS = ("column", "header", "renamed")
_UNNAMED = "ingest_unnamed_column"


def unnamed_header(position: int) -> str:
    """The name a column without a header gets (``position`` counts from 1): 'column 3'. It is the
    column's name everywhere the file's headers are used (mapping presets, the upload log), the same
    in every language; ``header_label`` shows it in the reader's."""
    return i18n.translate(_UNNAMED, "en", position=position)


def header_label(header: str | None, lang: str) -> str | None:
    """A header of the file as the reader sees it: itself, but a column that had no header is named
    in the reader's language ('столбец 3').

    >>> header_label("Оценка", "ru"), header_label(unnamed_header(3), "ru"), header_label(unnamed_header(3), "en")
    ('Оценка', 'столбец 3', 'column 3')
    """
    if lang == "en" or not isinstance(header, str):
        return header
    match = _unnamed_pattern("en").fullmatch(header)
    return i18n.translate(_UNNAMED, lang, position=int(match.group(1))) if match else header


def stable_header(name: str) -> str:
    """The name a preset gives a column, as the file's headers are read: a column without a header
    named as a reader of another language sees it ('столбец 3') is 'column 3'.

    >>> stable_header("столбец 3"), stable_header("Оценка")
    ('column 3', 'Оценка')
    """
    for lang in ("ru",):
        match = _unnamed_pattern(lang).fullmatch(name)
        if match:
            return unnamed_header(int(match.group(1)))
    return name


def _unnamed_pattern(lang: str) -> re.Pattern:
    return re.compile(re.escape(i18n.translate(_UNNAMED, lang, position=0)).replace("0", r"([1-9]\d*)"))


def issue(code: str, severity: str, **details) -> Issue:
    """An Issue; keyword arguments that are not Issue fields become message parameters."""
    own = {name: details.pop(name) for name in list(details) if name in Issue.__dataclass_fields__}
    if "value" in own and own["value"] is not None:
        own["value"] = _shorten(str(own["value"]))
    if "rows" in own:
        own["rows"] = tuple(int(r) for r in own["rows"])
    return Issue(code=code, severity=severity, params=tuple(details.items()), **own)


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _row_list(rows: tuple[int, ...], count: int | None) -> str:
    text = ", ".join(str(r) for r in rows[:10])
    if count is not None and count > min(len(rows), 10):
        text += ", …"
    return text


TEXT: dict[str, dict[str, str]] = {
    "ingest_unnamed_column": {"en": "column {position}", "ru": "столбец {position}"},
    # --- the file itself ---
    "ingest_file_too_large": {
        "en": "The file is {size}; the limit is {limit}. Split it into smaller files or raise the limit.",
        "ru": "Размер файла {size} при лимите {limit}. Разбейте его на части или увеличьте лимит.",
    },
    "ingest_too_many_columns": {
        "en": "The file has {columns} columns; the limit is {limit}. Export only the columns you need.",
        "ru": "В файле столбцов: {columns} при лимите {limit}. Выгрузите только нужные столбцы.",
    },
    "ingest_too_many_cells": {
        "en": "The file holds about {cells} values ({row_count} rows × {column_count} columns); the limit is {limit}. Split it into smaller files or export fewer columns.",
        "ru": "В файле около {cells} значений ({row_count} строк × {column_count} столбцов) при лимите {limit}. Разбейте его на части или выгрузите меньше столбцов.",
    },
    "ingest_line_too_long": {
        "en": "A line of the file is {size} long; the limit is {limit}. Check the line breaks and the delimiter.",
        "ru": "Длина строки файла {size} при лимите {limit}. Проверьте переводы строк и разделитель.",
    },
    "ingest_cell_too_long": {
        "en": "A value of the file has {length} characters; the limit is {limit}. Shorten or leave out that column.",
        "ru": "В значении файла {length} символов при лимите {limit}. Сократите этот столбец или не выгружайте его.",
    },
    "ingest_failed_disk_full": {
        "en": "The server ran out of disk space; nothing was changed. Free some space (or ask the administrator) and try again.",
        "ru": "На сервере закончилось место на диске; ничего не изменено. Освободите место (или обратитесь к администратору) и повторите.",
    },
    "ingest_failed_read_only": {
        "en": "The server may not write the database folder; nothing was changed. Ask the administrator to check its permissions.",
        "ru": "Сервер не может записывать в папку базы данных; ничего не изменено. Попросите администратора проверить права доступа.",
    },
    "ingest_failed_other": {
        "en": "The load failed on the server; nothing was changed. Try again; if it fails again, tell the administrator.",
        "ru": "Загрузка не удалась на сервере; ничего не изменено. Повторите; если ошибка повторится, сообщите администратору.",
    },
    "ingest_file_not_found": {"en": "file not found: {file}", "ru": "файл не найден: {file}"},
    "ingest_mapping_unreadable": {
        "en": "the mapping file {file} cannot be read; check that it is a file you may read",
        "ru": "файл сопоставления {file} не читается; проверьте, что это файл и что у вас есть право его читать",
    },
    "ingest_empty_file": {"en": "The file is empty.", "ru": "Файл пуст."},
    "ingest_header_only": {
        "en": "The file has a header but no data rows.",
        "ru": "В файле есть заголовок, но нет ни одной строки данных.",
    },
    "ingest_unsupported_extension": {
        "en": "Files ending in .{extension} are not supported; upload CSV, TSV, TXT, XLSX or Parquet.",
        "ru": "Файлы с расширением .{extension} не поддерживаются; загрузите CSV, TSV, TXT, XLSX или Parquet.",
    },
    "ingest_legacy_excel": {
        "en": "This is an old Excel .xls workbook; open it in Excel and save it as .xlsx or CSV.",
        "ru": "Это книга старого формата Excel .xls; откройте её в Excel и сохраните как .xlsx или CSV.",
    },
    "ingest_extension_mismatch": {
        "en": "The file's name ends in .{extension} but its content is {actual}; re-export it or fix the name.",
        "ru": "Имя файла оканчивается на .{extension}, а содержимое — {actual}; выгрузите файл заново или исправьте имя.",
    },
    "ingest_xlsx_macros": {
        "en": "The workbook contains macros ({entry}); save it as a plain .xlsx workbook without macros.",
        "ru": "Книга содержит макросы ({entry}); сохраните её как обычную книгу .xlsx без макросов.",
    },
    "ingest_xlsx_bomb": {
        "en": "The workbook would unpack to {unpacked} (packed {ratio}:1); refused as a possible decompression bomb (limits: {limit}, {limit_ratio}:1).",
        "ru": "Книга распаковывается в {unpacked} (сжатие {ratio}:1); отклонена как возможная «zip-бомба» (лимиты: {limit}, {limit_ratio}:1).",
    },
    "ingest_xlsx_dtd": {
        "en": "The workbook's XML ({entry}) declares entities, which Excel never writes (a possible \"billion laughs\" bomb); open it in Excel and save it again.",
        "ru": "XML книги ({entry}) объявляет сущности, чего Excel никогда не делает (возможная атака «billion laughs»); откройте её в Excel и сохраните заново.",
    },
    "ingest_parquet_too_large": {
        "en": "The Parquet file would unpack to {unpacked} of data (limit {limit}); split it into smaller files.",
        "ru": "Файл Parquet распаковывается в {unpacked} данных (лимит {limit}); разбейте его на части.",
    },
    "ingest_unreadable_file": {
        "en": "The file could not be read as {kind}; save it again from the program it comes from and upload the new copy.",
        "ru": "Файл не удалось прочитать как {kind}; сохраните его заново в программе, из которой он выгружен, и загрузите новую копию.",
    },
    "ingest_text_not_in_encoding": {
        "en": "The text is not valid {encoding}; set \"encoding\" in the mapping (e.g. CP1251) or save the file as UTF-8.",
        "ru": "Текст не в кодировке {encoding}; укажите \"encoding\" в сопоставлении (например, CP1251) или сохраните файл в UTF-8.",
    },
    "ingest_text_not_in_encoding_at": {
        "en": "Line {line} of the file is not valid {encoding}; set \"encoding\" in the mapping (e.g. CP1251) or save the file as UTF-8.",
        "ru": "Строка {line} файла не в кодировке {encoding}; укажите \"encoding\" в сопоставлении (например, CP1251) или сохраните файл в UTF-8.",
    },
    "ingest_csv_unclosed_quote": {
        "en": "A quoted value is never closed, so the rest of the file reads as one value; check the quotes in the file.",
        "ru": "Значение в кавычках нигде не закрыто, и весь остаток файла читается как одно значение; проверьте кавычки в файле.",
    },
    "ingest_xlsx_damaged": {
        "en": "The workbook is damaged (its contents cannot be unpacked); open it in Excel and save it again as .xlsx.",
        "ru": "Книга повреждена (её содержимое не распаковывается); откройте её в Excel и сохраните заново как .xlsx.",
    },
    "ingest_xlsx_encrypted": {
        "en": "The workbook is protected with a password; remove the password in Excel and save it again as .xlsx.",
        "ru": "Книга защищена паролем; снимите пароль в Excel и сохраните книгу заново как .xlsx.",
    },
    "ingest_xlsx_bad_number": {
        "en": "A cell stored as a number holds {value}; open the workbook in Excel and save it again.",
        "ru": "В ячейке, сохранённой как число, записано {value}; откройте книгу в Excel и сохраните её заново.",
    },
    "ingest_xlsx_bad_number_at": {
        "en": "Row {row}: a cell stored as a number holds {value}; open the workbook in Excel and save it again.",
        "ru": "Строка {row}: в ячейке, сохранённой как число, записано {value}; откройте книгу в Excel и сохраните её заново.",
    },
    "ingest_parquet_damaged": {
        "en": "The Parquet file is damaged or incomplete (cut off while copying?); export it again from the source program.",
        "ru": "Файл Parquet повреждён или неполон (обрезан при копировании?); выгрузите его заново из исходной программы.",
    },
    "ingest_parquet_unsupported": {
        "en": "The Parquet file uses a compression or column type this server cannot read; export it again with default settings (e.g. snappy compression).",
        "ru": "Файл Parquet использует сжатие или тип столбца, которые сервер не читает; выгрузите его заново с настройками по умолчанию (например, сжатие snappy).",
    },
    "ingest_sheet_not_found": {
        "en": "The workbook has no sheet {sheet}; its sheets are: {sheets}.",
        "ru": "В книге нет листа {sheet}; листы книги: {sheets}.",
    },
    "ingest_unknown_encoding": {
        "en": "The text is neither UTF-8, UTF-16 nor CP1251; set \"encoding\" in the mapping.",
        "ru": "Текст не в кодировке UTF-8, UTF-16 или CP1251; укажите \"encoding\" в сопоставлении.",
    },
    "ingest_malformed_row": {
        "en": "The row has {found} fields but the header has {expected}; check quotes and delimiters in it.",
        "ru": "Полей в строке: {found}, в заголовке: {expected}; проверьте в ней кавычки и разделители.",
    },
    "ingest_duplicate_header": {
        "en": "The header {column} appears more than once; the later copy was renamed {renamed}.",
        "ru": "Заголовок {column} встречается несколько раз; следующая копия переименована в {renamed}.",
    },
    "ingest_decimal_guessed": {
        "en": "Numbers like {value} could use either decimal separator; read with \"{decimal}\" ({reason}). Set \"decimal\" if that is wrong.",
        "ru": "Числа вида {value} допускают оба десятичных разделителя; прочитаны с \"{decimal}\" ({reason}). Укажите \"decimal\", если это неверно.",
    },
    "ingest_decimal_mixed": {
        "en": "Numbers use both decimal separators ({comma_count} with a comma, {dot_count} with a point); read with \"{decimal}\". Set \"decimal\" to decide.",
        "ru": "В числах встречаются оба десятичных разделителя ({comma_count} с запятой, {dot_count} с точкой); прочитаны с \"{decimal}\". Укажите \"decimal\".",
    },
    # --- mapping ---
    "ingest_missing_required": {
        "en": "Required column {field} is missing; map a column of the file to it{hint}.",
        "ru": "Нет обязательного столбца {field}; сопоставьте с ним столбец файла{hint}.",
    },
    "ingest_unknown_column": {
        "en": "Column {column} is not part of {table}; it is kept out.",
        "ru": "Столбец {column} не входит в таблицу {table}; он не загружается.",
    },
    "ingest_mapped_column_absent": {
        "en": "The mapping names column {column}, which the file does not have.",
        "ru": "В сопоставлении указан столбец {column}, которого нет в файле.",
    },
    "ingest_generated_ids": {
        "en": "The file has no {field} column: each row gets a stable id made from its values, so loading the file again adds nothing twice.",
        "ru": "В файле нет столбца {field}: каждой строке присвоен постоянный id по её значениям, поэтому повторная загрузка ничего не задвоит.",
    },
    "ingest_anonymous_responses": {
        "en": "The file has no customer column, so its {count} responses are anonymous: they count in survey metrics, not in customer-level ones.",
        "ru": "В файле нет столбца клиента, поэтому ответы анонимны (их {count}): они учитываются в метриках опросов, но не в клиентских.",
    },
    "ingest_no_customer_column": {
        "en": "The file has no customer column, so its {table} would belong to no one; map the customer id column, or, if the file is anonymous on purpose, mark it anonymous (load --anonymous; the \"Anonymous on purpose\" box on the Upload page).",
        "ru": "В файле нет столбца клиента, и строки {table} не будут принадлежать никому; сопоставьте столбец с id клиента или, если файл анонимный намеренно, отметьте его анонимным (load --anonymous; флажок «Анонимный файл» на странице загрузки).",
    },
    "ingest_anonymous_rows": {
        "en": "The file is marked anonymous: its {count} rows of {table} are loaded without a customer; they count in totals (revenue, complaints) and as anonymous, not in any customer's numbers (ARPU, LTV, classes).",
        "ru": "Файл отмечен как анонимный: его строки {table} (их {count}) загружены без клиента; они входят в итоги (выручка, жалобы) как анонимные, но не в показатели клиентов (ARPU, LTV, группы).",
    },
    # --- values ---
    "ingest_required_value_missing": {
        "en": "{field} is empty, but every row needs it (to skip such rows, list {field} in \"skip_rows_missing\").",
        "ru": "Поле {field} пусто, а оно обязательно в каждой строке (чтобы пропускать такие строки, добавьте {field} в \"skip_rows_missing\").",
    },
    "ingest_not_a_number": {"en": "Not a number: {value}.", "ru": "Не число: {value}."},
    "ingest_not_a_whole_number": {"en": "Not a whole number: {value}.", "ru": "Не целое число: {value}."},
    "ingest_not_a_date": {
        "en": "Not a date in this column's format {date_format}: {value}.",
        "ru": "Не дата в формате этого столбца {date_format}: {value}.",
    },
    "ingest_out_of_range": {
        "en": "{field} must be between {low} and {high}; found {value}.",
        "ru": "{field} должно быть от {low} до {high}; в файле {value}.",
    },
    "ingest_negative_value": {
        "en": "{field} cannot be negative: {value}.",
        "ru": "{field} не может быть отрицательным: {value}.",
    },
    "ingest_unknown_metric": {
        "en": "Unknown metric {value}; use one of: {metrics}.",
        "ru": "Неизвестная метрика {value}; допустимые: {metrics}.",
    },
    "ingest_end_before_start": {
        "en": "{field} ({value}) is before {start_field}.",
        "ru": "{field} ({value}) раньше, чем {start_field}.",
    },
    "ingest_mixed_types": {
        "en": "The column mixes {good} {kind} with {bad} values that are not {kind} (rows {rows}).",
        "ru": "В столбце смешаны типы: «{kind_ru}» — {good}, другие значения — {bad} (строки {rows}).",
    },
    "ingest_no_values_of_type": {
        "en": "No value in this column is {kind_article} ({count} values, rows {rows}); is the column mapped to the right field?",
        "ru": "Ни одно значение в столбце не похоже на «{kind_ru}» (значений: {count}, строки {rows}); верно ли сопоставлен столбец?",
    },
    "ingest_ambiguous_dates": {
        "en": "Dates like {value} fit both day/month and month/day order; choose: set \"date_format\" to {choices}.",
        "ru": "Даты вида {value} подходят и под порядок день/месяц, и под месяц/день; выберите: укажите \"date_format\" = {choices}.",
    },
    "ingest_ambiguous_scale": {
        "en": "Column {column} holds answers {low}–{high}, which could be more than one survey score; choose its scale: set \"scales\": {{\"{header}\": ...}} to one of {choices} (on the Upload page: the question under the mapping).",
        "ru": "В столбце {column} ответы от {low} до {high}: это может быть разная оценка опроса; выберите шкалу: укажите \"scales\": {{\"{header}\": ...}} — одно из {choices} (на странице загрузки: вопрос под сопоставлением).",
    },
    "ingest_scale_impossible": {
        "en": "Column {column} holds answers {low}–{high}, which fit no survey scale ({scales}); is it a score? Map it to another column or fix the values.",
        "ru": "В столбце {column} ответы от {low} до {high}: они не укладываются ни в одну шкалу опроса ({scales}); это точно оценка? Сопоставьте столбец с другим полем или исправьте значения.",
    },
    "ingest_scale_detected": {
        "en": "Column {column} is read as {score} on the {scale} scale (answers {low}–{high}); if that is wrong, set \"scales\": {{\"{header}\": ...}}.",
        "ru": "Столбец {column} прочитан как {score} по шкале {scale} (ответы от {low} до {high}); если это неверно, укажите \"scales\": {{\"{header}\": ...}}.",
    },
    "ingest_missing_codes": {
        "en": "Values declared as missing ({codes}), loaded as empty: {count}.",
        "ru": "Значения, объявленные пропусками ({codes}), загружены как пустые: {count}.",
    },
    "ingest_refunds": {
        "en": "Negative amounts, accepted as refunds: {count} (rows {rows}).",
        "ru": "Отрицательные суммы, принятые как возвраты: {count} (строки {rows}).",
    },
    "ingest_identical_rows": {
        "en": "Rows that repeat an earlier row exactly: {count} (rows {rows}). They are kept as separate records, e.g. two equal purchases on one day.",
        "ru": "Строки, полностью повторяющие более раннюю строку: {count} (строки {rows}). Они сохранены как отдельные записи, например две одинаковые покупки за день.",
    },
    "ingest_rows_skipped": {
        "en": "Rows without {fields}, skipped as the mapping asks: {count} (rows {rows}).",
        "ru": "Строки без {fields}, пропущенные, как требует сопоставление: {count} (строки {rows}).",
    },
    "ingest_more_rows": {
        "en": "The same problem in more rows: {count}.",
        "ru": "Та же проблема ещё в строках: {count}.",
    },
    # --- keys and stored data ---
    "ingest_duplicate_key": {
        "en": "Duplicate {field} {value}: the same key is also in row {first_row}.",
        "ru": "Повтор {field} {value}: этот же ключ есть в строке {first_row}.",
    },
    "ingest_key_conflict": {
        "en": "{field} {value} is already stored with different values; use mode \"upsert\" to update it or \"replace\" to replace the table.",
        "ru": "{field} {value} уже загружен с другими значениями; используйте режим \"upsert\", чтобы обновить, или \"replace\", чтобы заменить таблицу.",
    },
    "ingest_already_stored": {
        "en": "Rows already stored with the same values, left as they are: {count}.",
        "ru": "Строки, уже загруженные с теми же значениями, оставлены без изменений: {count}.",
    },
    "ingest_identical_to_stored": {
        "en": "Rows identical to rows already stored: {count} (rows {rows}). They were added again because {table} allows repeats; undo the upload if the file was loaded before.",
        "ru": "Строки, совпадающие с уже загруженными: {count} (строки {rows}). Они добавлены повторно, так как {table} допускает повторы; отмените загрузку, если файл уже загружался.",
    },
    "ingest_unknown_customers": {
        "en": "Rows about customers that are not in the customer table: {count} (rows {rows}). They are loaded and count in totals, but no segment, region or acquisition channel is known for them: the filters show them as \"Unknown\" until a customers file with these ids is loaded.",
        "ru": "Строки о клиентах, которых нет в таблице клиентов: {count} (строки {rows}). Они загружены и входят в итоги, но сегмент, регион и канал привлечения для них неизвестны: фильтры показывают их как «Неизвестно», пока не загружен файл клиентов с этими id.",
    },
    "ingest_before_period": {
        "en": "Rows dated before the dashboard's default period ({start} … {end}): {count}, dated {first} … {last}: visible with \"All time\" or a custom range.",
        "ru": "Строки с датой раньше периода дашборда по умолчанию ({start} … {end}): {count}, даты {first} … {last}: видны при «Всё время» или своём диапазоне дат.",
    },
    "ingest_empty_filter_columns": {
        "en": "{columns}: empty in every row of the file; the filters will show these rows as \"Unknown\".",
        "ru": "{columns}: пусто во всех строках файла; фильтры покажут эти строки как «Неизвестно».",
    },
    "ingest_metrics_switched_off": {
        "en": "{field} is empty in every row (or not in the file): {metrics} will be unavailable for these rows.",
        "ru": "{field} пусто во всех строках (или нет в файле): {metrics} для этих строк будут недоступны.",
    },
    "ingest_spelling_variants": {
        "en": "{label}: {values} differ only by case or spacing and would show as separate values; merge them into {target} (on the Upload page: the choice under the check; load --merge-variants; \"merge\" in the preset).",
        "ru": "{label}: {values} отличаются только регистром или пробелами и будут показаны как разные значения; объедините их в {target} (на странице загрузки: выбор под проверкой; load --merge-variants; \"merge\" в пресете).",
    },
    "ingest_variants_merged": {
        "en": "{label}: {values} differ only by case or spacing; merged into {target}.",
        "ru": "{label}: {values} отличаются только регистром или пробелами; объединены в {target}.",
    },
    "ingest_after_as_of": {
        "en": "Rows dated after the pinned as-of date {as_of}: {count} (rows {rows}). The dashboard shows them once an "
              "admin moves the as-of date or lets it follow the data (settings: as_of=latest).",
        "ru": "Строки с датой позже закреплённой даты актуальности {as_of}: {count} (строки {rows}). Дашборд покажет их, "
              "когда администратор сдвинет эту дату или разрешит ей следовать за данными (настройки: as_of=latest).",
    },
}

i18n.register_text(TEXT)  # idempotent: registering the same texts again is allowed
