"""What the Upload page asks about a file after its check, and how the answers go into the preset.

A check reports ``questions``: the scale of each score column it could not decide
(``{"scales": {header: [choices]}}``) and the groups of category values that differ only by case
or spacing (``{"variants": {column: [[spelling to keep, other spellings...]]}}``). The page keeps
every question it was asked about the file (an answered one is no longer reported, but its answer
must stay), asks each as a choice, and turns the answers into the preset's ``scales`` and ``merge``.
"""

from __future__ import annotations

import hashlib

from cxdata.i18n import register_text, translate
from cxdata.ingest.scales import parse_choice
from cxdata.model.rules import scale_text

KEEP = ""  # the merge choice "keep the spellings as they are"


def combine_questions(asked: dict, new: dict) -> dict:
    """Every question asked so far about a file, the newest report's added.

    >>> combine_questions({"scales": {"score": ["csat_1_5"]}}, {"variants": {"channel": [["Web", "web"]]}})
    {'scales': {'score': ['csat_1_5']}, 'variants': {'channel': [['Web', 'web']]}}
    """
    scales = {**asked.get("scales", {}), **new.get("scales", {})}
    variants = {column: list(groups) for column, groups in asked.get("variants", {}).items()}
    for column, groups in new.get("variants", {}).items():
        known = {frozenset(g) for g in variants.get(column, [])}
        variants.setdefault(column, []).extend(g for g in groups if frozenset(g) not in known)
    return {key: value for key, value in (("scales", scales), ("variants", variants)) if value}


def scale_key(header: str) -> str:
    return "upload_scale_" + hashlib.sha1(header.encode("utf-8")).hexdigest()[:12]


def merge_key(column: str, group: list[str]) -> str:
    text = "\u0000".join([column, *group])
    return "upload_merge_" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def scale_answers(questions: dict, state) -> dict[str, str]:
    """The preset's ``scales`` from the choices made: header → 'csat_1_5'."""
    return {header: state[scale_key(header)] for header in questions.get("scales", {})
            if state.get(scale_key(header))}


def merge_answers(questions: dict, state) -> dict[str, dict[str, str]]:
    """The preset's ``merge`` from the choices made: column → {spelling: spelling kept}; a group is
    merged into its first spelling until another choice is made."""
    merge: dict[str, dict[str, str]] = {}
    for column, groups in questions.get("variants", {}).items():
        for group in groups:
            target = state.get(merge_key(column, group), group[0])
            if target != KEEP:
                merge.setdefault(column, {}).update({v: target for v in group if v != target})
    return merge


def scale_label(choice: str, lang: str) -> str:
    """'CSAT, scale 1–5' / 'CSAT, шкала 1–5'."""
    score, scale = parse_choice(choice)
    return translate("upload_scale_option", lang, score=score.upper(), scale=scale_text(scale))


def merge_label(value: str, lang: str) -> str:
    return translate("upload_merge_keep", lang) if value == KEEP else translate("upload_merge_into", lang, value=value)


TEXT = {
    "upload_anonymous": {"en": "Anonymous on purpose (no customer column)", "ru": "Анонимный файл (намеренно без клиента)"},
    "upload_anonymous_help": {
        "en": "Transactions and complaints without a customer column are refused, because their money or complaints "
              "would belong to no one. Tick this if the file is anonymous on purpose: it is loaded and counted as "
              "anonymous.",
        "ru": "Транзакции и жалобы без столбца клиента отклоняются: их деньги или жалобы не принадлежали бы никому. "
              "Отметьте, если файл анонимный намеренно: он будет загружен и учтён как анонимный.",
    },
    "upload_questions": {"en": "Questions about this file", "ru": "Вопросы по файлу"},
    "upload_questions_help": {
        "en": "Answer, then check again: the answers go into the mapping (and a preset saved from it).",
        "ru": "Ответьте и проверьте снова: ответы войдут в сопоставление (и в сохранённый из него пресет).",
    },
    "upload_scale_question": {"en": "Column «{header}»: which score, on which scale?",
                              "ru": "Столбец «{header}»: какая это оценка и по какой шкале?"},
    "upload_scale_placeholder": {"en": "Choose the scale", "ru": "Выберите шкалу"},
    "upload_scale_option": {"en": "{score}, scale {scale}", "ru": "{score}, шкала {scale}"},
    "upload_merge_question": {"en": "{column}: {values} differ only by case or spacing",
                              "ru": "{column}: {values} отличаются только регистром или пробелами"},
    "upload_merge_into": {"en": "merge into «{value}»", "ru": "объединить в «{value}»"},
    "upload_merge_keep": {"en": "keep them apart", "ru": "оставить раздельно"},
}
register_text(TEXT)
