"""The fits run when the data changes, and the refit that runs them.

A model whose fit takes long (minutes at scale 1) is fitted once per data version, after a load,
an undo or an as-of change, by ``python -m cxdata refit`` in the background, and stored beside
the database (``cxdata.engine.fit_store``); the pages and the command line read the stored fit.
Adding a model is one entry of ``FITS``: its name, its label (the Upload page shows which step
runs), the function that fits it (``compute(db, as_of, progress)``, progress a share 0 … 1) and
what ``refit`` prints of it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from cxdata.engine import fit_store
from cxdata.engine.db import read_meta
from cxdata.engine.query import open_backend
from cxdata.engine.workspace import fetch_as_of
from cxdata.questions.churn_risk import compute_churn_risk_model, describe_churn_risk_fit
from cxdata.questions.clv import compute_clv_model, describe_clv_fit
from cxdata.questions.topics import compute_topic_fit, describe_topic_fit

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredFit:
    name: str
    label: dict[str, str]  # {"en": …, "ru": …}
    compute: Callable  # (db, as_of, progress) -> a picklable result
    describe: Callable  # result -> JSON-ready summary for ``refit``


FITS: dict[str, StoredFit] = {
    fit.name: fit
    for fit in (
        StoredFit("clv", {"en": "predicted lifetime value", "ru": "прогноз ценности клиентов"},
                  lambda db, as_of, progress: compute_clv_model(db, as_of, progress=progress), describe_clv_fit),
        StoredFit("churn_risk", {"en": "churn risk", "ru": "риск ухода"},
                  lambda db, as_of, progress: compute_churn_risk_model(db, as_of), describe_churn_risk_fit),
        StoredFit("topics", {"en": "topics of complaints and comments", "ru": "темы жалоб и комментариев"},
                  compute_topic_fit, describe_topic_fit),
    )
}  # fmt: skip


def fit_here(db, name: str, as_of: date):
    """The fit ``name`` made in this process, as the refit makes it (for a page that finds none
    stored and no refit running)."""
    return FITS[name].compute(db, as_of, None)


def fit_label(name: str, lang: str) -> str:
    label = FITS[name].label if name in FITS else {"en": name}
    return label.get(lang, label["en"])


def current_fit_key(db) -> str:
    """The key of the fits of the data ``db`` shows (``fit_store.fit_key``)."""
    return fit_store.fit_key(read_meta(db.con).get("data_version") or "none", fetch_as_of(db))


def run_refit(db_path, *, owner: str | None = None, names: list[str] | None = None, force: bool = False) -> dict:
    """Fit every model of ``FITS`` (or ``names``) on the database as it is now and store each;
    a fit already stored for this data is read, not fitted again, unless ``force``.

    Returns ``{"db", "key", "data_version", "as_of", "fits": {name: {"seconds", **describe}}}``
(``"stored_before": true`` for a fit read, not fitted);
    a fit that fails is ``{"error": …}`` there and the refit goes on (``status.json`` says
    ``failed`` at the end). Stops, without storing anything more, when a newer refit took over.
    """
    chosen = [FITS[name] for name in (names or FITS)]
    owner_process = fit_store.RefitOwner(db_path, [fit.name for fit in chosen], owner)
    db = open_backend(db_path)
    try:
        as_of: date = fetch_as_of(db)
        data_version = read_meta(db.con).get("data_version") or "none"
        key = fit_store.fit_key(data_version, as_of)
        owner_process.start(key)
        results, errors = {}, []
        for step, fit in enumerate(chosen, start=1):
            owner_process.report(step)
            began = time.monotonic()
            stored = None if force else fit_store.read_fit(db_path, fit.name, key)
            if stored is not None:
                results[fit.name] = {"seconds": 0.0, "stored_before": True, **fit.describe(stored)}
                continue
            try:
                value = fit.compute(db, as_of, lambda share, step=step: owner_process.report(step, share))
            except (ValueError, ArithmeticError) as error:  # too little data to fit: said, not raised
                _LOGGER.warning("refit of %s failed: %s", fit.name, error)
                results[fit.name] = {"error": str(error)}
                errors.append(fit.name)
                continue
            with owner_process.writing:
                fit_store.write_fit(db_path, fit.name, key, value)
            results[fit.name] = {"seconds": round(time.monotonic() - began, 1), **fit.describe(value)}
    except BaseException as error:
        owner_process.finish(error=type(error).__name__)
        raise
    finally:
        db.disconnect()
    owner_process.finish(error=", ".join(errors) or None)
    if not errors:
        fit_store.prune_other_keys(db_path, key)
    return {"db": str(owner_process.db_path), "key": key, "data_version": data_version, "as_of": as_of.isoformat(),
            "fits": results}  # fmt: skip


# What a reader of a stored fit finds: the fit, or why there is none.
READY, COMPUTING, FAILED, MISSING = "ready", "computing", "failed", "missing"


def read_stored_fit(db_path, name: str, key: str, *, start_missing: bool = False):
    """(the stored fit ``name`` of the data ``key`` or None, its state): ``ready``; ``computing``
    (a refit is running); ``failed`` (the refit of this data could not fit it); ``missing`` (no
    refit ran for this data, or one was killed). With ``start_missing`` a missing fit starts a
    background refit (``fit_store.ensure_refit``; when background refits are on), so the next
    look finds it computing."""
    value = fit_store.read_fit(db_path, name, key)
    if value is not None:
        return value, READY
    status = fit_store.ensure_refit(db_path, list(FITS), key) if start_missing else fit_store.read_status(db_path)
    if status is not None and status.is_alive:
        return None, COMPUTING
    if status is not None and status.state in ("done", "failed") and status.key == key:
        return None, FAILED  # the refit of this data ran, and this fit is not among its results
    return None, MISSING
