"""Values that differ only in how they are written: case and spacing.

``Web``, ``web`` and `` WEB `` are one channel spelled three ways; a dashboard that groups by the
raw value shows three. ``spelling_key`` is the one rule for "the same value": case-folded, trimmed,
runs of whitespace (including non-breaking spaces) collapsed to one space, and underscores read as
spaces, because exports write ``mobile_app`` for "Mobile app". Hyphens are kept: ``e-mail`` and
``email`` may well be one thing, but a hyphen can also carry meaning (``B2B-SMB``), and a merge
suggested wrongly costs more than one not suggested.

Nothing here imports the rest of ``cxdata``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping


def spelling_key(value: str) -> str:
    """The value as compared for spelling: case-folded, trimmed, inner spacing collapsed.

    >>> spelling_key("  Mobile   App ")
    'mobile app'
    >>> spelling_key("mobile_app") == spelling_key("MOBILE\\u00a0APP")
    True
    >>> spelling_key("e-mail") == spelling_key("email")
    False
    """
    return " ".join(value.replace("_", " ").split()).casefold()


def spelling_variants(values: Iterable[str] | Mapping[str, int]) -> list[list[str]]:
    """Groups of two or more distinct values with the same ``spelling_key``.

    ``values`` is either the values themselves (repeats counted) or a mapping value -> count. In a
    group the most frequent value comes first (ties: in text order), so the first one is the
    spelling to keep; groups come by their total count, largest first. Missing values (None) are
    skipped; a group never holds the same value twice.

    >>> spelling_variants({"Web": 10, "web": 3, "WEB ": 1, "Phone": 7})
    [['Web', 'web', 'WEB ']]
    >>> spelling_variants(["shop", "Shop", "Shop", "email", "E-mail"])
    [['Shop', 'shop']]
    """
    counts = Counter(values) if not isinstance(values, Mapping) else Counter(dict(values))
    groups: dict[str, list[tuple[str, int]]] = {}
    for value, count in counts.items():
        if value is None:
            continue
        groups.setdefault(spelling_key(str(value)), []).append((str(value), int(count)))
    found = [sorted(members, key=lambda item: (-item[1], item[0])) for members in groups.values() if len(members) > 1]
    found.sort(key=lambda members: (-sum(count for _, count in members), spelling_key(members[0][0])))
    return [[value for value, _ in members] for members in found]
