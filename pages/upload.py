"""Upload: analysts load extracts (check first, then load), see the log and undo."""

import json
import tempfile
from pathlib import Path

import streamlit as st

from cxdata.app import ui
from cxdata.app.workspace import open_guarded_page
from cxdata.i18n import translate
from cxdata.ingest import (
    LOADABLE_TABLES,
    MODES,
    ExtractRefused,
    MappingPreset,
    PresetError,
    UploadBusyError,
    rules_for,
    suggest_mapping,
)
from cxdata.ingest.errors import TargetChanged, describe_failure
from cxdata.ingest.log import read_log_as_seen, read_table_state
from cxdata.ingest.meaning import column_label
from cxdata.ingest.messages import header_label
from cxdata.ingest.preset_store import list_presets
from cxdata.ingest.publish import load_and_publish
from cxdata.ingest.settings_log import list_settings_changes
from cxdata.model.roles import can
from cxdata.presentation.plaintext import markdown_text
from cxdata.presentation.upload_log import build_upload_log_table
from cxdata.presentation.upload_questions import (
    KEEP,
    combine_questions,
    merge_answers,
    merge_key,
    merge_label,
    scale_answers,
    scale_key,
    scale_label,
)
from cxdata.presentation.upload_view import (
    table_name,
    NOT_LOADED,
    OVERRIDE_CHOICES,
    columns_from_rows,
    describe_busy,
    describe_detected,
    fetch_saved_preset,
    issues_frame,
    mapping_rows,
    read_headers,
    remove_preset,
    settings_log_frame,
    store_preset,
    undo_choices,
    undo_chosen,
    visible_uploads,
)

context, visitor = open_guarded_page("upload_title", "upload", "upload_forbidden", "upload_intro")
lang = context.lang

left, right = st.columns(2)
table = left.selectbox(translate("upload_table", lang), LOADABLE_TABLES, key="upload_table",
                       format_func=lambda name: table_name(name, lang))
mode = right.selectbox(translate("upload_mode", lang), MODES, key="upload_mode",
                       format_func=lambda m: translate(f"upload_mode_{m}", lang))
uploaded = st.file_uploader(translate("upload_file", lang), type=["csv", "tsv", "txt", "xlsx", "parquet"],
                            key="upload_file")


def show_note(key: str) -> None:
    """The outcome of a preset button, kept across the rerun its callback caused."""
    note = st.session_state.pop(key, None)
    if note:
        (st.success if note[0] == "success" else st.error)(markdown_text(note[1]))


def pick_preset_name() -> None:  # a chosen preset is also the name it is saved again under
    st.session_state["upload_preset_name"] = st.session_state["upload_saved_preset"]


def delete_chosen_preset() -> None:
    st.session_state["upload_note_delete"] = remove_preset(visitor.role, context.data.path,
                                                           st.session_state["upload_saved_preset"], lang)
    st.session_state["upload_saved_preset"] = ""


def save_mapping_as_preset(preset_data: dict) -> None:
    name = st.session_state.get("upload_preset_name", "")
    note = store_preset(visitor.role, context.data.path, name, preset_data, table=table, lang=lang,
                        replace=st.session_state.get("upload_preset_replace", False))
    st.session_state["upload_note_save"] = note
    if note[0] == "success":
        st.session_state["upload_saved_preset"] = name.strip()


saved_row = st.columns([3, 1], vertical_alignment="bottom")
saved_name = saved_row[0].selectbox(
    translate("upload_saved_preset", lang), ["", *[p["name"] for p in list_presets(context.data.path, table)]],
    key="upload_saved_preset", format_func=lambda name: name or translate("upload_no_preset", lang),
    help=translate("upload_saved_preset_help", lang), on_change=pick_preset_name)
saved_row[1].button(translate("upload_delete_preset", lang), key="upload_delete_preset", disabled=not saved_name,
                    on_click=delete_chosen_preset)
show_note("upload_note_delete")
preset_file = st.file_uploader(translate("upload_preset", lang), type=["json"], key="upload_preset")

options_box = st.expander(translate("upload_options", lang))
options_box.caption(translate("upload_options_help", lang))
option_columns = options_box.columns(4)
overrides = {
    "encoding": option_columns[0].selectbox(translate("upload_encoding", lang), OVERRIDE_CHOICES["encoding"],
                                            key="upload_encoding", format_func=lambda v: v or translate("upload_auto", lang)),
    "delimiter": option_columns[1].selectbox(translate("upload_delimiter", lang), OVERRIDE_CHOICES["delimiter"],
                                             key="upload_delimiter",
                                             format_func=lambda v: {"": translate("upload_auto", lang), "\t": translate("upload_tab", lang)}.get(v, v)),
    "decimal": option_columns[2].selectbox(translate("upload_decimal", lang), OVERRIDE_CHOICES["decimal"],
                                           key="upload_decimal", format_func=lambda v: v or translate("upload_auto", lang)),
    "date_format": option_columns[3].text_input(translate("upload_date_format", lang), key="upload_date_format",
                                                placeholder="%d.%m.%Y"),
}

if uploaded is not None:
    # The engine reads files from disk; keep the original name (its extension is checked).
    try:
        folder = Path(st.session_state.setdefault("upload_folder", tempfile.mkdtemp(prefix="cx-upload-")))
        path = folder / Path(uploaded.name).name
        path.write_bytes(uploaded.getvalue())
    except OSError as error:  # a full or read-only disk: in words, without the server's temporary path
        st.error(describe_failure(error, lang))
        st.stop()
    try:
        # A choice made on the page overrides the JSON file's, which overrides the saved preset's,
        # which overrides detection.
        preset_data = {**fetch_saved_preset(visitor.role, context.data.path, saved_name, lang),
                       **(MappingPreset.from_json(preset_file.getvalue()).to_dict() if preset_file else {})}
        preset = MappingPreset.from_dict({**preset_data, **{k: v for k, v in overrides.items() if v}})
    except PresetError as error:
        st.error(markdown_text(f"{translate('upload_preset', lang)}: {error.message(lang)}"))
        st.stop()
    try:
        headers = read_headers(path, preset)
    except ExtractRefused as refused:
        st.error(markdown_text(translate("upload_refused", lang, error=refused.issue.message(lang))))
        st.stop()

    st.subheader(translate("upload_mapping", lang))
    st.caption(translate("upload_mapping_help", lang))
    targets = [NOT_LOADED, *rules_for(table).columns]
    edited = st.data_editor(
        mapping_rows(headers, suggest_mapping(table, headers), preset.columns, lang),
        column_config={
            "header": None,  # the name presets use; "source" shows it in the reader's language
            "source": st.column_config.TextColumn(translate("upload_source", lang), disabled=True),
            "target": st.column_config.SelectboxColumn(translate("upload_target", lang), options=targets),
        },
        hide_index=True,
        key=f"upload_mapping_{table}_{uploaded.name}_{saved_name}",
    )
    anonymous = table in ("transactions", "complaints") and st.checkbox(
        translate("upload_anonymous", lang), key=f"upload_anonymous_{table}", help=translate("upload_anonymous_help", lang))
    # What earlier checks of this file asked (a score's scale, spellings to merge), and the answers given.
    questions_key = f"upload_questions_{table}_{uploaded.name}"
    questions = st.session_state.get(questions_key, {})
    answers = {"scales": {**preset.scales, **scale_answers(questions, st.session_state)},
               "merge": {**preset.merge, **merge_answers(questions, st.session_state)},
               "anonymous": preset.anonymous or anonymous}
    preset_data = {**preset.to_dict(), "columns": columns_from_rows(edited), **answers}
    chosen = MappingPreset.from_dict(preset_data)
    preset_data = chosen.to_dict()
    save_row = st.columns([3, 1, 2, 2], vertical_alignment="bottom")
    save_row[0].text_input(translate("upload_preset_name", lang), key="upload_preset_name", max_chars=64)
    save_row[1].checkbox(translate("upload_preset_replace", lang), key="upload_preset_replace")
    save_row[2].button(translate("upload_store_preset", lang), key="upload_store_preset",
                       on_click=save_mapping_as_preset, args=(preset_data,))
    save_row[3].download_button(translate("upload_save_preset", lang),
                                json.dumps(preset_data, ensure_ascii=False, indent=2),
                                file_name=f"{table}-preset.json", mime="application/json", key="upload_save")
    show_note("upload_note_save")

    questions_box = st.container()  # filled below, once this run's check has said what it asks
    check, load = st.columns(2)
    action = "check" if check.button(translate("upload_check", lang), key="upload_check") else None
    action = "load" if load.button(translate("upload_load", lang), type="primary", key="upload_load") else action
    if action:
        bar = st.progress(0.0)
        try:
            report = load_and_publish(
                context.data.path, table, path, mapping=chosen, mode=mode, dry_run=action == "check",
                user=visitor.user, lang=lang, lock_timeout=30, seen_state=read_table_state(context.data.path, table, mode),
                progress=lambda stage, fraction: bar.progress(min(max(fraction, 0.0), 1.0), text=stage),
            ).to_dict(lang)
        except UploadBusyError as error:
            st.error(markdown_text(describe_busy(error, lang)))
            st.stop()
        except TargetChanged as error:
            st.error(markdown_text(error.message(lang)))
            st.stop()
        except PresetError as error:  # a mode the table does not take, a preset that does not fit
            st.error(markdown_text(error.message(lang)))
            st.stop()
        except Exception as error:  # noqa: BLE001 - disk full, a database error: in words, no path or traceback
            st.error(describe_failure(error, lang))
            st.stop()
        bar.empty()
        st.caption(markdown_text(translate("upload_detected", lang, details=describe_detected(report, lang))))
        if report["status"] == "rejected":
            st.error(translate("upload_status_rejected", lang))
        elif action == "check":
            st.success(translate("upload_status_checked", lang, rows=report["rows_loaded"], table=table_name(table, lang)))
        elif report["status"] == "unchanged":
            st.info(translate("upload_status_unchanged", lang))
        else:
            st.success(translate("upload_status_loaded", lang, rows=report["rows_loaded"], table=table_name(table, lang),
                                 id=report["upload_id"]))
        issues = issues_frame(report, lang)
        if len(issues):
            st.subheader(translate("upload_issues", lang))
            ui.show_table(issues, name="upload-problems", hide_index=True)
        if report.get("preview"):
            st.subheader(translate("upload_preview", lang))
            ui.show_table(report["preview"], name="upload-preview", hide_index=True)
        questions = combine_questions(questions, report.get("questions") or {})
        st.session_state[questions_key] = questions
    if questions:
        questions_box.subheader(translate("upload_questions", lang))
        questions_box.caption(translate("upload_questions_help", lang))
        for header, choices in questions.get("scales", {}).items():
            questions_box.selectbox(markdown_text(translate("upload_scale_question", lang, header=header_label(header, lang))), choices,
                                    index=None,
                                    key=scale_key(header), placeholder=translate("upload_scale_placeholder", lang),
                                    format_func=lambda choice: scale_label(choice, lang))
        for column, groups in questions.get("variants", {}).items():
            for group in groups:
                values = " / ".join(f"«{v}»" for v in group)
                questions_box.selectbox(
                    markdown_text(translate("upload_merge_question", lang, column=column_label(column, lang),
                                            values=values)),
                    [*group, KEEP], key=merge_key(column, group), format_func=lambda value: merge_label(value, lang))

# After a load or an undo the forecast is refitted in the background: its progress, then when it is done.
ui.show_refit_progress(lang)

st.subheader(translate("upload_log", lang))


def undo_chosen_upload(upload_id: int, seen_version: str) -> None:
    """The upload the visitor saw and chose, checked against the data version this page showed."""
    st.session_state["upload_note_undo"] = undo_chosen(visitor.role, visitor.user, context.data.path, upload_id,
                                                       seen_version, lang)


full_log, log_version = read_log_as_seen(context.data.path)  # the data version this log shows
log = visible_uploads(full_log, visitor.user, visitor.role)
if not log:
    st.caption(translate("upload_no_log", lang))
else:
    ui.show_table(build_upload_log_table(log, lang), name="upload-log", hide_index=True)
    choices = undo_choices(log, lang)
    if can(visitor.role, "undo") and choices:
        undo_row = st.columns([3, 1], vertical_alignment="bottom")
        chosen = undo_row[0].selectbox(translate("upload_undo_choice", lang), list(choices), format_func=choices.get,
                                       key="upload_undo_id", help=translate("upload_undo_choice_help", lang))
        # The id and the data version are bound now, as shown: a click acts on what the visitor saw.
        undo_row[1].button(translate("upload_undo", lang, id=chosen), key="upload_undo", on_click=undo_chosen_upload,
                           args=(chosen, log_version))
show_note("upload_note_undo")

if can(visitor.role, "admin"):  # the rest of the audit log: who changed the workspace settings, from what to what
    st.subheader(translate("settings_log", lang))
    settings_log = settings_log_frame(list_settings_changes(context.data.path), lang)
    if settings_log.empty:
        st.caption(translate("settings_log_empty", lang))
    else:
        ui.show_table(settings_log, name="settings-log", hide_index=True)
