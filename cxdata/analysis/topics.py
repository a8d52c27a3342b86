"""Topics in short customer texts (complaints, survey comments), in Russian and English, offline.

Texts in, topics out; nothing here reads the database (``cxdata.questions.topics`` does).

- **Words**: lower-cased runs of letters; each word's script picks its language (Cyrillic:
  Russian, Latin: English), so a text that mixes both is read word by word. Stop words of that
  language are dropped, the rest cut to their Snowball stem (``оплата``, ``оплаты``,
  ``оплатил`` → ``оплат``; ``payment``, ``payments`` → ``payment``). Each stem is shown by the
  word it most often came from.
- **Weights**: TF-IDF of the stems over the distinct texts (a text sent a thousand times is one
  document: volume is counted afterwards, it does not decide what the topics are), each row
  scaled to unit length.
- **Topics**: non-negative matrix factorisation (scikit-learn's NMF, NNDSVD start: no random
  draw) for each number of topics from 2 to ``max_topics``; the number kept is the one whose
  assignment (each text to its heaviest topic) has the best mean silhouette on cosine distance,
  i.e. texts closest to their own topic's texts and furthest from the others'. A text with no
  known word gets no topic (``-1``).

Words, not meanings: a Russian and an English text about the same thing share no stem, so they
land in two topics, one per language; each topic says its language.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

NO_TOPIC = -1
DEFAULT_MAX_TOPICS = 15  # per language
MAX_FIT_TEXTS = 5000  # distinct texts the topics are learnt from (the most frequent); the rest are assigned
TOP_WORDS = 6
EXAMPLES = 3

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)

# Function words that say nothing about a topic, in their written form (before stemming).
STOP_WORDS = {
    "en": frozenset("""
        a about above after again against all also am an and any are as at be because been before being
        below between both but by can could did do does doing don down during each even ever few for from
        further get got had has have having he her here hers herself him himself his how i if in into is it
        its itself just me more most my myself no nor not now of off on once only or other our ours
        ourselves out over own same she should so some still such than that the their theirs them themselves
        then there these they this those through to too under until up very was we were what when where which
        while who whom why will with would you your yours yourself yourselves already almost really yet
        anyone anything one thing things way us im ive dont didnt doesnt isnt wasnt cant wont
    """.split()),
    "ru": frozenset("""
        а без более бы был была были было быть в вам вас весь во вот все всего всё всех вы где да даже для до
        его ее её ей ему если есть еще ещё же за здесь и из или им их к как какой когда кто ли либо мне
        может мы на над надо наш не него нее неё нет ни них но ну о об однако он она они оно от очень по под
        при с со так также такой там те тем то того тоже той только том ты у уже хотя чего чей чем что чтобы
        чье чья эта эти это этот я уж раз ведь вдруг себя себе сам сама сами свой своя свои свое своё моя мой
        мои моё наша наши ваш ваша ваши тут пока потом теперь всегда никогда почему зачем будет будут было
        меня тебя нас вас нам им ним ней нём нем
    """.split()),
}


def word_language(word: str) -> str | None:
    """``ru`` for a word in Cyrillic, ``en`` for one in Latin letters, None for another script.

    >>> word_language("оплата"), word_language("payment"), word_language("支付")
    ('ru', 'en', None)
    """
    if _CYRILLIC.search(word):
        return "ru"
    if _LATIN.search(word):
        return "en"
    return None


def text_language(text: str) -> str | None:
    """The language of a text by the script most of its letters are in (``ru``, ``en``, or None
    for a text with neither).

    >>> text_language("Оплата не прошла, app crashed"), text_language("My order is late"), text_language("123")
    ('ru', 'en', None)
    """
    cyrillic, latin = len(_CYRILLIC.findall(text)), len(_LATIN.findall(text))
    if cyrillic == latin == 0:
        return None
    return "ru" if cyrillic >= latin else "en"


@lru_cache(maxsize=None)
def _stemmer(language: str):
    import snowballstemmer

    return snowballstemmer.stemmer({"ru": "russian", "en": "english"}[language])


@lru_cache(maxsize=200_000)
def stem(word: str) -> str | None:
    """The Snowball stem of a lower-case word in its script's language; None for a stop word, a
    one-letter word or a word in neither script.

    >>> [stem(w) for w in ("оплата", "оплаты", "оплатил", "payment", "payments", "the")]
    ['оплат', 'оплат', 'оплат', 'payment', 'payment', None]
    """
    language = word_language(word)
    if language is None or len(word) < 2 or word in STOP_WORDS[language]:
        return None
    if language == "ru":
        word = word.replace("ё", "е")
    return _stemmer(language).stemWord(word)


def words_of(text: str) -> list[tuple[str, str]]:
    """(stem, word) of every word of ``text`` that carries meaning, in order.

    >>> words_of("Оплата не прошла, payments failed!")
    [('оплат', 'оплата'), ('прошл', 'прошла'), ('payment', 'payments'), ('fail', 'failed')]
    """
    found = []
    for word in _WORD.findall(str(text).lower()):
        stemmed = stem(word)
        if stemmed:
            found.append((stemmed, word))
    return found


@dataclass(frozen=True)
class TopicModel:
    """Topics found in a set of texts.

    ``topics``: one row per topic, largest first, ids 0 … k−1 in that order: ``topic``,
    ``words`` (the top words, as written), ``language`` (``ru``/``en``: of most of its texts),
    ``texts`` (rows of the input assigned to it). ``assignments``: one row per distinct input
    text: ``text``, ``topic`` (``NO_TOPIC`` without a known word), ``weight`` (its share of the
    topic in the text's mix, 0 … 1), ``count`` (how often it occurs in the input).
    ``silhouette``: per number of topics tried, the mean silhouette (the one kept is the best).
    """

    topics: pd.DataFrame
    assignments: pd.DataFrame
    silhouette: dict[int, float]

    def topic_of(self, texts) -> np.ndarray:
        """The topic of each of ``texts`` (which must be among the texts fitted; else NO_TOPIC)."""
        lookup = dict(zip(self.assignments["text"], self.assignments["topic"], strict=True))
        return np.array([lookup.get(text, NO_TOPIC) for text in texts], dtype=np.int64)


def find_topics(texts, *, max_topics: int = DEFAULT_MAX_TOPICS, n_topics: int | None = None,
                top_words: int = TOP_WORDS) -> TopicModel:  # fmt: skip
    """Topics of ``texts`` (an iterable of strings; None and blanks are skipped), module rules;
    the texts of each language are grouped on their own, with up to ``max_topics`` topics each
    (``n_topics`` fixes that number instead of choosing it).

    ValueError when fewer than three distinct texts carry a known word (nothing to group).
    """
    counts = Counter(t for t in (None if v is None else str(v).strip() for v in texts) if t)
    distinct = pd.DataFrame({"text": list(counts), "count": list(counts.values())})
    distinct = distinct.sort_values(["count", "text"], ascending=[False, True], ignore_index=True)
    parsed = [words_of(text) for text in distinct["text"]]
    languages = np.array([text_language(text) if words else None for text, words in zip(distinct["text"], parsed, strict=True)],
                         dtype=object)  # fmt: skip
    if sum(bool(words) for words in parsed) < 3:
        raise ValueError(f"too few texts with known words to find topics: {sum(bool(w) for w in parsed)}")
    spelled = _spelling(parsed, distinct["count"].to_numpy())
    topic = np.full(len(distinct), NO_TOPIC, dtype=np.int64)
    weight = np.zeros(len(distinct))
    topics, silhouette = [], {}
    for language in ("en", "ru"):
        rows = np.flatnonzero(languages == language)
        if rows.size == 0:
            continue
        found = _fit_language([parsed[i] for i in rows], max_topics, n_topics)
        if found is None:  # one or two texts: one topic of their own
            labels, mix_weight, words = np.zeros(rows.size, np.int64), np.ones(rows.size), [_top_stems(
                [parsed[i] for i in rows], top_words)]  # fmt: skip
        else:
            labels, mix_weight, words, silhouette[language] = found
            words = [stems[:top_words] for stems in words]
        topic[rows] = labels + len(topics)
        weight[rows] = mix_weight
        topics += [{"old": len(topics) + k, "words": [spelled[s] for s in stems], "language": language}
                   for k, stems in enumerate(words)]  # fmt: skip
    table = pd.DataFrame(topics)
    table["texts"] = [int(distinct["count"].to_numpy()[topic == old].sum()) for old in table["old"]]
    table = table[table["texts"] > 0].sort_values(["texts", "old"], ascending=[False, True], ignore_index=True)
    renumber = {old: new for new, old in enumerate(table["old"])}
    assignments = distinct.assign(
        topic=[renumber.get(int(t), NO_TOPIC) for t in topic], weight=np.round(weight, 4)
    )[["text", "topic", "weight", "count"]]
    table = table.assign(topic=range(len(table)))[["topic", "words", "language", "texts"]]
    return TopicModel(topics=table, assignments=assignments, silhouette=silhouette)


def _fit_language(parsed: list[list[tuple[str, str]]], max_topics: int, n_topics: int | None):
    """(topic of each text 0 … k−1, its weight in the text's mix, each topic's stems heaviest
    first, {k: mean silhouette}) for the texts of one language; None for fewer than three texts."""
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    fitted = [words for words in parsed if words][:MAX_FIT_TEXTS]
    if len(fitted) < 3:
        return None
    vectorizer = TfidfVectorizer(analyzer=lambda words: [s for s, _ in words], sublinear_tf=True)
    matrix = vectorizer.fit_transform(fitted)
    stems = vectorizer.get_feature_names_out()
    limit = max(2, min(max_topics, len(fitted) - 1, len(stems)))
    best, silhouette = None, {}
    for k in [min(n_topics, limit)] if n_topics is not None else range(2, limit + 1):
        model = NMF(n_components=k, init="nndsvd", max_iter=500, random_state=0)
        with warnings.catch_warnings():
            # A number of topics that fits the texts badly converges slowly; the silhouette judges it.
            warnings.simplefilter("ignore", ConvergenceWarning)
            labels = model.fit_transform(matrix).argmax(axis=1)
        score = _silhouette(matrix, labels)
        silhouette[k] = round(score, 4)
        if best is None or score > best[0] + 1e-9:
            best = (score, model)
    model = best[1]
    mix = model.transform(vectorizer.transform(parsed))
    total = mix.sum(axis=1)
    labels = np.where(total > 0, mix.argmax(axis=1), NO_TOPIC)
    mix_weight = np.where(total > 0, mix.max(axis=1) / np.where(total > 0, total, 1.0), 0.0)
    words = [[stems[j] for j in np.argsort(-row, kind="stable") if row[j] > 0] for row in model.components_]
    return labels, mix_weight, words, silhouette


def _top_stems(parsed: list[list[tuple[str, str]]], n: int) -> list[str]:
    counts = Counter(s for words in parsed for s, _ in words)
    return [s for s, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]]


def _silhouette(matrix, labels: np.ndarray) -> float:
    """Mean cosine silhouette of ``labels``; −1 when they form fewer than two groups or every text
    is alone in its group (nothing to compare)."""
    from sklearn.metrics import silhouette_score

    groups = np.unique(labels).size
    if groups < 2 or groups >= matrix.shape[0]:
        return -1.0
    return float(silhouette_score(matrix, labels, metric="cosine"))


def _spelling(parsed: list[list[tuple[str, str]]], counts: np.ndarray) -> dict[str, str]:
    """Each stem's most frequent written form (ties: the shortest, then the first alphabetically)."""
    forms: dict[str, Counter] = {}
    for words, count in zip(parsed, counts, strict=True):
        for stemmed, word in words:
            forms.setdefault(stemmed, Counter())[word] += int(count)
    return {s: min(c.items(), key=lambda item: (-item[1], len(item[0]), item[0]))[0] for s, c in forms.items()}


def examples_of(model: TopicModel, topic: int, n: int = EXAMPLES) -> list[str]:
    """Up to ``n`` texts of ``topic``, the most typical first (highest weight, then most frequent)."""
    rows = model.assignments[model.assignments["topic"] == topic]
    rows = rows.sort_values(["weight", "count", "text"], ascending=[False, False, True])
    return rows["text"].head(n).tolist()


def agreement(topics, categories) -> dict:
    """How well topics match known categories, over the texts that have both (one value per text,
    repeats counted): ``texts``; ``purity`` (the share of texts whose topic's most common
    category is their own: accuracy after mapping each topic to its majority category);
    ``adjusted_rand`` (1 = the same partition, 0 = no better than chance); ``majority_baseline``
    (the purity of one topic for everything: the share of the most common category).

    >>> agreement([0, 0, 1, 1], ["pay", "pay", "ship", "pay"])
    {'texts': 4, 'purity': 0.75, 'adjusted_rand': 0.0, 'majority_baseline': 0.75}
    """
    from sklearn.metrics import adjusted_rand_score

    frame = pd.DataFrame({"topic": list(topics), "category": list(categories)})
    frame = frame[(frame["topic"] != NO_TOPIC) & frame["category"].notna()]
    if frame.empty:
        return {"texts": 0, "purity": None, "adjusted_rand": None, "majority_baseline": None}
    table = pd.crosstab(frame["topic"], frame["category"])
    n = len(frame)
    return {"texts": n, "purity": round(float(table.max(axis=1).sum() / n), 4),
            "adjusted_rand": round(float(adjusted_rand_score(frame["category"], frame["topic"])), 4),
            "majority_baseline": round(float(frame["category"].value_counts().iloc[0] / n), 4)}  # fmt: skip
