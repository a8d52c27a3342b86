"""Everything Streamlit-specific, in one module: the cached database connection, cached metric
wrappers, the global filters in the sidebar (mirrored in the URL), and the page context.

The rest of ``cxdata`` knows nothing of Streamlit. Cache keys are explicit: the database path,
its data version (bumped by every load) and the frozen ``Filters``.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import importlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import streamlit as st
from plotly.basedatatypes import BaseFigure
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from cxdata import i18n
from cxdata.engine.db import (
    describe_database_error,
    is_first_start,
    open_snapshot,
    read_meta,
    remember_database,
    resolve_db_path,
    snapshot_cursor,
)
from cxdata.engine.coverage import fetch_coverage
from cxdata.engine.engines import dashboard_engine_note
from cxdata.engine.fit_store import fit_key, read_status
from cxdata.engine.query import open_snapshot_backend
from cxdata.engine.workspace import fetch_is_empty, fetch_settings
from cxdata.model.filters import DEFAULT_PRESET, PERIOD_PRESETS, Filters, fit_linked_dates, preset_range
from cxdata.model.workspace import WorkspaceSettings
from cxdata.presentation.chart_locale import localize_figure
from cxdata.presentation.plaintext import markdown_text
from cxdata.questions.overview import (
    Overview,
    fetch_as_of,
    fetch_data_start,
    fetch_dimension_values,
    fetch_overview,
    fetch_target_table,
)

# Everything imported by now (Streamlit, pandas, Ibis, sqlglot, plotly, DuckDB: about a million
# objects) lives as long as the server. Keep it out of the garbage collector's full passes, which
# reruns trigger now and then and which would otherwise walk all of it (tens of ms each time).
gc.freeze()

_LOGGER = logging.getLogger(__name__)

FILTER_KEYS = ("f_period", "f_dates", "f_segment", "f_region", "f_channel", "f_acq")
_DIMENSION_KEYS = {"segments": "f_segment", "regions": "f_region", "channels": "f_channel", "acquisition_channels": "f_acq"}
_DIMENSION_LABELS = {"segments": "segment", "regions": "region", "channels": "channel", "acquisition_channels": "acquisition_channel"}
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


@dataclass(frozen=True)
class DataKey:
    """Which data a cached result belongs to: the file, its data version, and the file itself as
    it is on disk (inode, modification time, size), so a file changed or damaged in place never
    gets the numbers cached for what it was before."""

    path: str
    version: str
    file: tuple = ()


@dataclass(frozen=True)
class PageContext:
    """What every page needs to know about the current view."""

    filters: Filters
    lang: str
    data: DataKey
    as_of: date
    currency: str
    workspace: WorkspaceSettings = dataclasses.field(default_factory=WorkspaceSettings)
    is_empty: bool = False  # no data loaded yet: the data pages welcome instead (cxdata.app.workspace)


# --- database ----------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=4)
def _build_sample_once(path: str) -> None:
    from cxdata.sample import build_sample_database

    if is_first_start(Path(path)):
        build_sample_database(path)
        remember_database(Path(path))


@st.cache_resource(show_spinner=False, max_entries=4)
def _shared_connection(path: str, file_identity: tuple[int, int]) -> duckdb.DuckDBPyConnection:
    """One read-only snapshot per file version; sessions each take their own cursor of it."""
    return open_snapshot(path)


def _connection(path: str) -> duckdb.DuckDBPyConnection:
    stat = os.stat(path)
    # Uploads and init --force publish a new file (new inode): open it instead of the old one.
    return _shared_connection(path, (stat.st_ino, stat.st_mtime_ns))


@contextmanager
def backend(data: DataKey) -> Iterator:
    """An Ibis backend on a cursor of the current snapshot, for one thread at a time.

    Backends are kept for reuse, per snapshot: making one costs ~2.5 ms (Ibis looks DuckDB's
    version up in the installed packages and sets two options), and a page runs up to eight
    queries per filter change. A backend whose work raised is dropped, not reused.
    """
    connection = _connection(data.path)
    with _idle_lock:
        pool = _idle_backends.get(data.path)
        if pool is None or pool[0] is not connection:  # a new file version: the old ones go
            pool = _idle_backends[data.path] = (connection, [])
        db = pool[1].pop() if pool[1] else None
    if db is None:
        db = open_snapshot_backend(snapshot_cursor(connection))
    yield db  # what follows does not run when the caller's work raised
    with _idle_lock:
        pool[1].append(db)


_idle_backends: dict[str, tuple[duckdb.DuckDBPyConnection, list]] = {}  # path -> (snapshot, idle backends)
_idle_lock = threading.Lock()


def current_data_key() -> DataKey:
    """The database in use and its current version. Builds the sample on a first start only
    (``db.is_first_start``); a database that is missing or broken later raises (``OSError``,
    ``duckdb.Error``), which the entrypoint shows in words (``db.describe_database_error``)."""
    path = resolve_db_path()
    if is_first_start(path):
        with st.spinner(i18n.translate("building_sample", current_language())):
            _build_sample_once(str(path))
    stat = os.stat(path)  # FileNotFoundError when it is gone: never a reason to build anything
    remember_database(path)
    meta = read_meta(snapshot_cursor(_connection(str(path))))
    # A settings change (currency, locale, as-of date…) makes every cached page stale, as a load does.
    version = f"{meta.get('data_version', '')}.{meta.get('settings_version', '')}"
    return DataKey(path=str(path), version=version,
                   file=(stat.st_ino, stat.st_mtime_ns, stat.st_size))


# --- cached queries ----------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=16)
def load_settings(data: DataKey) -> dict:
    with backend(data) as db:
        workspace = fetch_settings(db)
        return {
            "as_of": fetch_as_of(db),
            "data_start": fetch_data_start(db),
            "workspace": workspace,
            "currency": workspace.currency,
            "is_sample": read_meta(db.con).get("source") == "sample",
            "is_empty": fetch_is_empty(db),
            "options": fetch_dimension_values(db),
            "targets": fetch_target_table(db),
            "coverage": fetch_coverage(db),
        }


@st.cache_data(show_spinner=False, max_entries=256)
def load_overview(data: DataKey, filters: Filters, as_of: date) -> Overview:
    settings = load_settings(data)
    with backend(data) as db:
        return fetch_overview(db, filters, as_of, target_table=settings["targets"], coverage=settings["coverage"])


@st.cache_data(show_spinner=False, max_entries=1024)
def _run_cached(key: str, content: tuple, _call: tuple):
    # Few parameters on purpose: Streamlit inspects the signature once per argument per call.
    data, function_path, args, kwargs = _call
    with backend(data) as db:
        return _function(function_path)(db, *args, **kwargs)


def load(function: Callable, *args, **kwargs):
    """``function(db, *args, **kwargs)`` for the current data, cached.

    The cache key is explicit: the database path and data version, the function's dotted name
    and its arguments (a frozen ``Filters``, dates, numbers, tuples; see ``_cache_key``) — so any
    cxdata query function can be cached from a page without a wrapper of its own.
    """
    return load_many(query(function, *args, **kwargs))[0]


@dataclass(frozen=True)
class Query:
    """One ``load`` to run: ``function(db, *args, **kwargs)``."""

    function: Callable
    args: tuple
    kwargs: dict


def query(function: Callable, *args, **kwargs) -> Query:
    return Query(function, args, kwargs)


def load_many(*queries: Query) -> list:
    """``load`` of every query, the ones not cached yet at the same time, in threads of their
    own (each on its own cursor: DuckDB runs them in parallel and releases the GIL meanwhile).
    Results in the order given; the first query that failed raises its error."""
    data = page_context().data
    calls = []  # (key, content, the call _run_cached makes)
    for item in queries:
        path = _dotted_name(item.function)
        key, content = _cache_key((data, path), item.args, item.kwargs)
        calls.append((key, content, (data, path, item.args, item.kwargs)))
    # Queries answered before are most likely cached: read them here, no thread needed (a rerun
    # that changes nothing starts none). If one was evicted meanwhile, it simply runs here.
    results = {index: _run_cached(*call) for index, call in enumerate(calls) if call[0] in _answered}
    missing = [index for index in range(len(calls)) if index not in results]
    if len(missing) == 1:
        results[missing[0]] = _run_cached(*calls[missing[0]])
    elif missing:
        context = get_script_run_ctx()
        with ThreadPoolExecutor(max_workers=min(len(missing), 4),
                                initializer=lambda: add_script_run_ctx(threading.current_thread(), context)) as pool:
            results.update(zip(missing, pool.map(lambda index: _run_cached(*calls[index]), missing)))
    if len(_answered) > 100_000:  # bounded, like the cache it mirrors
        _answered.clear()
    _answered.update(call[0] for call in calls)
    return [_remember(results[index], key, content) for index, (key, content, _) in enumerate(calls)]


_answered: set[str] = set()  # keys of the queries load_many ran in this process (a hint, not the cache)


@st.cache_data(show_spinner=False, max_entries=2048)
def _derive_cached(key: str, content: tuple, _call: tuple):
    function_path, args, kwargs = _call
    return _function(function_path)(*args, **kwargs)


def derive(function: Callable, *args, **kwargs):
    """``function(*args, **kwargs)`` of a pure function (a chart, a table, a text from loaded
    frames), cached.

    An argument that ``load`` or ``derive`` returned in this run is keyed by where it came from
    (the query and its arguments), not by its content: hashing the frames of a page costs about
    as much as building its charts. So a warm rerun (a widget that changes nothing shown, a
    stage clicked again, a language switched back) rebuilds nothing. For functions whose result
    depends on their arguments only; never mutate what ``load`` or ``derive`` returned.
    """
    path = _dotted_name(function)
    key, content = _cache_key((path, i18n.current_locale()), args, kwargs)  # texts are written in the locale
    return _remember(_derive_cached(key, content, (path, args, kwargs)), key, content)


def _dotted_name(function: Callable) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def _function(dotted_name: str) -> Callable:
    module_name, name = dotted_name.rsplit(".", 1)
    return getattr(importlib.import_module(module_name), name)


def _cache_key(head: tuple, args: tuple, kwargs: dict) -> tuple[str, tuple]:
    """(text key, content): every argument by its origin in this run (``load``/``derive``), else
    by ``repr`` when that alone identifies it (see ``_plain_repr``), else it goes into
    ``content``, which Streamlit hashes by value. The text key is a digest: short to hash."""
    parts, content = [repr(head)], []
    for name, value in [*enumerate(args), *sorted(kwargs.items())]:
        text = _provenance().get(id(value), (None, None))[1] or _plain_repr(value)
        if text is None:
            text = f"#{len(content)}"
            content.append(value)
        parts.append(f"{name}={text}")
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest(), tuple(content)


_PLAIN = (str, bytes, int, float, bool, date, type(None))


def _plain_repr(value) -> str | None:
    """``repr(value)`` when it identifies the value: scalars, and tuples, frozensets and frozen
    dataclasses (``Filters``, ``DataKey``) made of them; else None."""
    if isinstance(value, _PLAIN):
        return repr(value)
    if isinstance(value, (tuple, frozenset)):
        parts = value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type) and type(value).__dataclass_params__.frozen:
        parts = [getattr(value, field.name) for field in dataclasses.fields(value)]
    else:
        return None
    return repr(value) if all(_plain_repr(part) is not None for part in parts) else None


def _provenance() -> dict[int, tuple]:
    """id -> (object, key) of what ``load`` and ``derive`` returned in this run (the dict keeps
    them alive, so no id is reused within the run); ``set_page_context`` starts it afresh."""
    return st.session_state.setdefault("_provenance", {})


def _remember(value, key: str, content: tuple):
    """Record ``value`` and its parts (the fields of a dataclass, the items of a tuple) as the
    result of ``key`` — unless part of the key was hashed content, which the key does not name."""
    if content:
        return value
    registry = _provenance()
    registry[id(value)] = (value, key)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts = [(field.name, getattr(value, field.name)) for field in dataclasses.fields(value)]
    elif isinstance(value, tuple):
        parts = list(enumerate(value))
    else:
        parts = []
    for name, part in parts:
        if not isinstance(part, _PLAIN):  # scalars share ids
            registry.setdefault(id(part), (part, f"{key}.{name}"))
    return value


# --- fits stored beside the database (cxdata.engine.fit_store) ----------------------------------


class _NotStored(Exception):
    """No stored fit (yet): raised, so the cache keeps nothing for it."""


@st.cache_resource(show_spinner=False, max_entries=4)
def _stored_fit(data: DataKey, name: str, key: str):
    # A resource, not a copy per read: a fit at scale 1 is hundreds of MB, and it is only read.
    from cxdata.questions.fits import read_stored_fit

    value, _ = read_stored_fit(data.path, name, key)
    if value is None:
        raise _NotStored(name)
    return value


def load_stored_fit(name: str, as_of: date) -> tuple[object | None, str]:
    """(the fit ``name`` stored for the current data as of ``as_of``, or None; its state, see
    ``cxdata.questions.fits.read_stored_fit``). A fit missing for this data starts a background
    refit. The fit is cached per data version; ``derive`` keys it by where it came from."""
    from cxdata.questions.fits import read_stored_fit

    data = page_context().data
    key = fit_key(data.version.split(".")[0] or "none", as_of)  # DataKey.version is "data.settings"
    try:
        value = _stored_fit(data, name, key)
    except _NotStored:
        return None, read_stored_fit(data.path, name, key, start_missing=True)[1]
    text = hashlib.blake2b(repr(("stored_fit", data, name, key)).encode(), digest_size=16).hexdigest()
    return _remember(value, text, ()), "ready"


def load_fit(name: str, as_of: date, spinner: str, *, while_refitting: bool = False) -> tuple[object | None, str]:
    """(the fit ``name`` for the current data, its state): the stored one (``load_stored_fit``);
    None and ``computing`` while the refit after a load runs (unless ``while_refitting``: then it
    is fitted here too); otherwise fitted here under ``spinner``, as the refit fits it, cached per
    data version. ValueError when the data cannot be fitted."""
    from cxdata.questions.fits import fit_here

    stored, state = load_stored_fit(name, as_of)
    if stored is not None or (state == "computing" and not while_refitting):
        return stored, state
    with st.spinner(spinner):
        return load(fit_here, name, as_of), "ready"


def load_predicted_units(units, filters: Filters, as_of: date):
    """(``predict_unit_economics`` of ``units`` — a ``fetch_unit_economics`` result of this run —
    with the stored forecast, or None; the forecast's state): the predicted LTV and LTV/CAC
    beside the revenue-to-date ones (``cxdata.questions.predicted_value``)."""
    from cxdata.questions.money_units import fetch_unit_customers
    from cxdata.questions.predicted_value import forecast_for_ltv, predict_unit_economics

    forecast, state = load_stored_fit("clv", as_of)
    if forecast is None or units.empty:
        return None, state
    customers = load(fetch_unit_customers, filters, as_of)
    return derive(predict_unit_economics, units, customers, derive(forecast_for_ltv, forecast)), state


def show_refit_progress(lang: str, *, rerun_when_done: bool = False, every: float = 2.0) -> None:
    """The latest refit of the forecast (``cxdata.presentation.forecast_text.describe_refit``),
    redrawn every ``every`` seconds while it runs; with ``rerun_when_done`` the whole page
    reruns once it finished (a page waiting for the fit). Nothing when no refit ever ran."""
    from cxdata.presentation.forecast_text import describe_refit
    from cxdata.questions.fits import FITS, fit_label

    path = page_context().data.path
    labels = {name: fit_label(name, lang) for name in FITS}

    @st.fragment(run_every=every)
    def progress() -> None:
        status = read_status(path)
        if status is None:
            return
        if status.is_alive:
            st.progress(status.progress, text=describe_refit(status, lang, labels))
        elif rerun_when_done:
            st.rerun(scope="app")
        elif status.state == "done":
            st.success(describe_refit(status, lang, labels))
        else:
            st.info(describe_refit(status, lang, labels))

    progress()


# --- charts -------------------------------------------------------------------------------------


class _FinishedFigure(BaseFigure):
    """A figure of ``cxdata.presentation.charts`` (a plain, valid dict) as ``st.plotly_chart`` takes it as is.

    ``st.plotly_chart`` validates a dict by building a ``go.Figure`` from it, and serializes a
    Figure through ``Figure.to_dict()``, a deep copy: together most of a warm rerun of a page of
    charts. It sends ``to_dict()``'s result to the browser as JSON, so a BaseFigure whose
    ``to_dict()`` is the finished dict skips both (``BaseFigure.__init__`` is skipped on purpose:
    nothing here is validated twice). ``tests/test_charts.py`` checks that the chart Streamlit sends
    equals plotly's own serialization of the validated figure.
    """

    def __init__(self, figure: dict):  # no BaseFigure state is needed
        self._figure = figure

    def to_dict(self) -> dict:
        return self._figure


def show_chart(figure: dict, *, key: str, where=None, **options):
    """``st.plotly_chart`` (into ``where``, default the page) of a ``cxdata.presentation.charts`` figure dict;
    ``options`` are ``st.plotly_chart``'s (``on_select``, ``config``…). Returns what it returns."""
    figure = localize_figure(figure, current_language())  # plotly's own ticks are English
    return (where or st).plotly_chart(_FinishedFigure(figure), key=key, **options)


# --- language and filters ----------------------------------------------------------------------


def current_language() -> str:
    lang = st.session_state.get("lang")
    return lang if lang in i18n.LANGUAGES else "en"


def _init_from_url(key: str, default: str, valid) -> None:
    """First run of a session: take a widget's value from the URL, if it is a valid one.

    Used for widgets whose options are shown translated: Streamlit's own ``bind`` would put
    the translated label in the URL, so a link would depend on the language it was copied in.
    """
    if key not in st.session_state:
        value = st.query_params.get(key)
        st.session_state[key] = value if value in valid else default


def _init_many_from_url(key: str, valid) -> None:
    """``_init_from_url`` of a multiselect: the link's values that are among ``valid``, in their order."""
    if key not in st.session_state:
        wanted = set(st.query_params.get_all(key))
        st.session_state[key] = [value for value in valid if value in wanted]


def _mirror_many_to_url(key: str, values) -> None:
    values = [str(value) for value in values]
    if not values:
        st.query_params.pop(key, None)
    elif st.query_params.get_all(key) != values:
        st.query_params[key] = values


def bind_page_setting(key: str, default: str, valid) -> None:
    """A page's own widget (``key``) that belongs in the link, as the filters do: its value is
    read from the URL on a session's first run (if valid) and written back there by
    ``mirror_page_setting`` (dropped when it is the default, so links stay short)."""
    _init_from_url(key, default, valid)


def mirror_page_setting(key: str, value: str, default: str) -> None:
    _mirror_to_url(key, value, default)


def _mirror_to_url(key: str, value: str, default: str) -> None:
    if value == default:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def render_language_switch() -> str:
    _init_from_url("lang", "en", i18n.LANGUAGES)
    st.sidebar.segmented_control(
        i18n.translate("language", current_language()),
        options=list(i18n.LANGUAGES),
        format_func=LANGUAGE_NAMES.get,
        required=True,
        key="lang",
    )
    lang = current_language()
    _mirror_to_url("lang", lang, "en")
    return lang


def _reset_filters() -> None:
    """Every global filter back to its default, in the widgets and in the link; the language and
    the pages' own settings stay. A widget bound to the URL would take its value back from the
    link on the next run, so the link's parameter goes with the widget's state."""
    for key in FILTER_KEYS:
        st.session_state.pop(key, None)
        st.query_params.pop(key, None)
    st.session_state.pop("f_dates_link", None)  # a note about the link's dates no longer applies
    st.session_state["f_period"] = DEFAULT_PRESET


def _fit_linked_dates(data_start: date, as_of: date, default: tuple[date, date]) -> None:
    """First run with ``f_dates`` in the link: fit them to the data, and remember what to say.

    The widget drops a range outside its bounds (or unreadable) without a word and starts at its
    default; the fitted range, set here, is what it starts at instead. A reversed range it takes
    as is: the caller swaps it.
    """
    if "f_dates" in st.session_state or "f_dates" not in st.query_params or data_start is None:
        return  # not the first run, no dates in the link, or no data to fit them to
    fitted = fit_linked_dates(st.query_params.get_all("f_dates"), data_start, as_of, default)
    if fitted.note is not None:
        st.session_state["f_dates"] = (fitted.start, fitted.end)
        st.session_state["f_dates_link"] = fitted


def _linked_dates_note(shown: tuple[date, date], data_start: date, as_of: date, lang: str) -> str | None:
    """What the link asked for and what is shown instead, while the shown range is still the link's."""
    fitted = st.session_state.get("f_dates_link")
    if fitted is None or (fitted.start, fitted.end) != tuple(shown):
        return None
    asked = i18n.format_period(*fitted.asked, lang) if fitted.asked else markdown_text(fitted.asked_text)
    return i18n.translate(fitted.note, lang, asked=asked, shown=i18n.format_period(*shown, lang),
                          data=i18n.format_period(data_start, as_of, lang),
                          start=i18n.format_date(shown[0], lang), end=i18n.format_date(shown[1], lang))


def render_global_filters(lang: str) -> PageContext:
    """The sidebar filters (kept across page switches, bound to the URL) -> the page context."""
    data = current_data_key()
    settings = load_settings(data)
    as_of, data_start, workspace = settings["as_of"], settings["data_start"], settings["workspace"]
    i18n.use_locale(workspace.locale)  # every number and date of this run
    sidebar = st.sidebar
    sidebar.header(i18n.translate("filters", lang))
    _init_from_url("f_period", DEFAULT_PRESET, PERIOD_PRESETS)
    preset = sidebar.selectbox(
        i18n.translate("period", lang),
        options=list(PERIOD_PRESETS),
        format_func=lambda p: i18n.translate(f"preset_{p}", lang),
        key="f_period",
    )
    _mirror_to_url("f_period", preset, DEFAULT_PRESET)
    start, end = preset_range(preset if preset != "custom" else DEFAULT_PRESET, as_of, data_start,
                              workspace.fiscal_year_start)
    if preset == "custom":
        _fit_linked_dates(data_start, as_of, (start, end))
        picked = sidebar.date_input(
            i18n.translate("dates", lang),
            value=(start, end),
            min_value=data_start,
            max_value=as_of,
            format=i18n.date_input_format(lang),
            key="f_dates",
            bind="query-params",
        )
        # While a range is half-picked the widget returns one date: keep the last full range.
        if isinstance(picked, (tuple, list)) and len(picked) == 2:
            start, end = sorted(picked)  # a reversed link: the widget takes it as is
            note = _linked_dates_note((start, end), data_start, as_of, lang)
            if note:  # our own words; the link's text in it is escaped
                sidebar.warning(note)
        else:
            sidebar.caption(i18n.translate("pick_end_date", lang))
    dimensions = {}
    for name, key in _DIMENSION_KEYS.items():
        options = settings["options"][name]
        # The link keeps the values as stored and the reader sees their names: Streamlit's own
        # ``bind`` would put the names in the link, so the link would depend on its language.
        _init_many_from_url(key, options)
        dimensions[name] = tuple(
            sidebar.multiselect(
                i18n.translate(_DIMENSION_LABELS[name], lang),
                options=options,
                format_func=lambda value, label=_DIMENSION_LABELS[name]: i18n.display_name(label, value, lang),
                placeholder=i18n.translate("all", lang),
                # Every value ticked is the same as none (all); and Streamlit's "Select all" is English only.
                select_all=False,
                key=key,
            )
        )
        _mirror_many_to_url(key, dimensions[name])
    sidebar.button(i18n.translate("reset_filters", lang), on_click=_reset_filters, key="f_reset")
    filters = Filters(start=start, end=end, **dimensions)
    if settings["is_sample"]:  # on every page, so nobody takes the sample for the company's numbers
        sidebar.warning(i18n.translate("sample_badge", lang))
    return PageContext(filters=filters, lang=lang, data=data, as_of=as_of, currency=settings["currency"],
                       workspace=workspace, is_empty=settings["is_empty"])


def is_database_problem(error: BaseException) -> bool:
    """Whether ``error`` is about the database (any DuckDB error; a file error about the database
    file, or while it is gone), not some other file a page works with."""
    if isinstance(error, duckdb.Error):
        return True
    path = resolve_db_path()
    return isinstance(error, OSError) and (not path.exists() or str(path) in str(error)
                                           or str(getattr(error, "filename", "")) == str(path))


def show_database_problem(error: BaseException, lang: str) -> None:
    """A database that is missing, damaged, busy or unreadable: one line in the reader's language,
    no traceback, no server path (the server log gets the details)."""
    path = resolve_db_path()
    _LOGGER.error("database %s cannot be used: %s", path, str(error).splitlines()[0] if str(error) else repr(error))
    st.error(describe_database_error(error, path.name, lang))


i18n.register_text({"download_xlsx": {"en": "Download XLSX", "ru": "Скачать XLSX"}})
i18n.register_text({
    "engine_ignored": {
        "en": "CX_ENGINE={engine} applies to the command line; the dashboard reads DuckDB.",
        "ru": "CX_ENGINE={engine} действует в командной строке; дашборд читает DuckDB.",
    }
})


def render_engine_note(lang: str) -> None:
    """A note in the sidebar when ``$CX_ENGINE`` names another engine (see ``engines.dashboard_engine_note``)."""
    engine = dashboard_engine_note()
    if engine:
        st.sidebar.caption(i18n.translate("engine_ignored", lang, engine=engine))


def show_table(data, *, name: str = "table", **options) -> None:
    """``st.dataframe`` for every table the app shows, with an XLSX download under it.

    Any table can be downloaded as CSV from its toolbar or as ``{name}.xlsx`` from the button, and
    its cells may come from uploaded files; text that a spreadsheet would run as a formula
    (= + - @ …) is neutralized first, and the workbook holds no formula cell at all.
    """
    import pandas as pd

    from cxdata.ingest.export_safety import build_xlsx, make_export_safe

    safe = derive(make_export_safe, data if isinstance(data, pd.DataFrame) else pd.DataFrame(data))
    st.dataframe(derive(arrow_table, safe), **options)  # converted once, not on every rerun
    # The button's key must differ between tables of one page and stay put across reruns: a
    # table's own name does that; unnamed tables are told apart by their content.
    digest = 0 if name != "table" else _content_digest(safe)
    st.download_button(
        i18n.translate("download_xlsx", current_language()), data=lambda: build_xlsx(safe),  # built on click only
        file_name=f"{name}.xlsx", mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{name}_{digest:x}", on_click="ignore", type="tertiary", icon="⬇️",
    )


def arrow_table(frame):
    """``frame`` as the Arrow table ``st.dataframe`` would make of it (without the index)."""
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


def _content_digest(frame) -> int:
    import pandas as pd

    try:
        return int(pd.util.hash_pandas_object(frame, index=False).sum()) & 0xFFFFFFFF
    except TypeError:  # unhashable cells (lists): the shape will do
        return hash((tuple(map(str, frame.columns)), len(frame))) & 0xFFFFFFFF


def set_page_context(context: PageContext) -> None:
    st.session_state["_page_context"] = context
    st.session_state["_provenance"] = {}  # see derive


def page_context() -> PageContext:
    """The context the entrypoint computed for this run (pages call this first)."""
    context = st.session_state.get("_page_context")
    if context is None:
        # Only on a fresh server whose first request is a page URL (/overview): because a
        # pages/ folder exists, Streamlit starts in its legacy folder mode and runs the page
        # without the entrypoint. Leave that mode (the entrypoint's st.navigation would do the
        # same) and rerun, so the entrypoint renders the filters and then this page.
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    return context
