"""Text from the data, a file or a link, shown as text: never as markup.

Stage labels, categories, channels, regions, comments, file names and filter values from a
crafted link reach two renderers that read markup:

- **Streamlit markdown** (``st.markdown``, ``st.caption``, ``st.info``, headers, ``help=``, metric
  labels): bold, links, images fetched from outside servers, LaTeX (``$...$``), colour and
  icon directives (``:red[...]``, ``:material/...:``), emoji shortcodes, HTML, and bare URLs or
  e-mail addresses that GitHub-flavoured markdown turns into links. ``markdown_text`` makes a
  text literal for it.
- **plotly** labels, legends, hover and titles, which are HTML-ish (``<b>``, ``<a href>``,
  ``<br>``, entities). ``chart_text`` makes a text literal for it; ``plain_figure`` applies it to
  every text of a figure (``cxdata.presentation.charts.make_figure`` does, so no chart can forget).

Tables shown with ``st.dataframe`` render cells as plain text already.
"""

from __future__ import annotations

import re

# CommonMark lets a backslash escape any ASCII punctuation; escaped, none of it starts markup.
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# What survives the escapes, because it is matched on the parsed text: emoji and icon shortcodes
# (":fire:", ":material/home:") and GFM's bare links ("http://…", "www.…", "a@b.org"). An
# invisible word joiner after a ':' that touches a word (not "10:30", not "NPS: 23"), after "www"
# and after '@'
# breaks each of those patterns without changing what a reader sees.
_WORD_JOINER = "\u2060"
_SHORTCODE_OR_LINK = re.compile(r":(?=[^\W\d]|\\)|(?<!\d\\):(?=\d)|(?<=www)(?=\\\.)|@", re.IGNORECASE)
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
# Plotly's own line break in the texts our charts compose; kept, everything else is literal.
_CHART_LINE_BREAK = "<br>"
_SKIPPED_CHART_KEYS = {"template"}  # plotly's own layout template: no data in it


def markdown_text(text: object) -> str:
    """``text`` as Streamlit markdown that shows exactly these characters, on one line.

    >>> markdown_text("**bold** [link](http://example.invalid) $x^2$ :red[x] <b>x</b>")
    '\\\\*\\\\*bold\\\\*\\\\* \\\\[link\\\\]\\\\(http\\\\:\u2060\\\\/\\\\/example\\\\.invalid\\\\) \\\\$x\\\\^2\\\\$ \\\\:\u2060red\\\\[x\\\\] \\\\<b\\\\>x\\\\<\\\\/b\\\\>'
    >>> markdown_text("Сегмент: SMB, 10:30") == "Сегмент\\\\: SMB\\\\, 10\\\\:30"
    True
    """
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", _LINE_BREAKS.sub(" ", str(text)))
    return _SHORTCODE_OR_LINK.sub(lambda m: m.group(0) + _WORD_JOINER, escaped)


def chart_text(text: object) -> str:
    """``text`` as a plotly label that shows exactly these characters (our own ``<br>`` kept).

    >>> chart_text('<a href="http://example.invalid">x</a> & <b>y</b><br>z')
    '&lt;a href="http://example.invalid"&gt;x&lt;/a&gt; &amp; &lt;b&gt;y&lt;/b&gt;<br>z'
    """
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("&lt;br&gt;", _CHART_LINE_BREAK)


def plain_figure(value, key: str | None = None):
    """A figure (plain dicts and lists) with every text passed through ``chart_text``, except the
    ``*template`` strings our code writes (``%{x}`` there shows the already escaped value)."""
    if isinstance(value, str):
        if key and key.endswith("template"):
            return value
        return chart_text(value) if ("<" in value or ">" in value or "&" in value) else value
    if isinstance(value, dict):
        return {k: v if k in _SKIPPED_CHART_KEYS else plain_figure(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_figure(item, key) for item in value]
    return value
