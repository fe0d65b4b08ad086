"""HTML written by users, made safe with nh3, and the plain-text part made from it."""

import functools
import re
from html.parser import HTMLParser

import nh3

TAGS = nh3.ALLOWED_TAGS - {"map", "area", "details", "summary", "nav"}
ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"style", "dir", "lang", "title"},
    "a": {"href", "hreflang", "title"},
    "p": {"align"},
    "div": {"align"},
}
STYLE_PROPERTIES = {
    "color",
    "background-color",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "text-align",
    "text-decoration",
    "line-height",
    "margin",
    "margin-top",
    "margin-bottom",
    "margin-left",
    "margin-right",
    "padding",
    "border",
    "border-collapse",
    "width",
    "max-width",
    "height",
    "vertical-align",
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def clean(html: str, *, template: bool) -> str:
    """Keep formatting, links and images; drop scripts, event handlers and unsafe URLs.

    A template's links may still be a {{variable}}, which looks like a relative URL, so
    relative URLs are kept in templates and dropped from rendered emails, where they
    could not work anyway.
    """
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        filter_style_properties=STYLE_PROPERTIES,
        url_relative="pass_through" if template else "deny",
    )


BLOCKS = {
    "address", "article", "aside", "blockquote", "div", "dl", "dd", "dt", "figure", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "ol", "p", "pre", "section", "table",
    "tr", "ul",
}  # fmt: skip


class _TextMaker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[tuple[str, int]] = []
        self.in_pre = 0

    def _break(self, lines: int) -> None:
        tail = "".join(self.parts[-3:])
        missing = lines - (len(tail) - len(tail.rstrip("\n")))
        if self.parts and missing > 0:
            self.parts.append("\n" * missing)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self._break(1)
            self.parts.append("- ")
        elif tag in BLOCKS:
            self._break(2)
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[{alt}]")
        if tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))
        if tag == "pre":
            self.in_pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.parts[start:]).strip()
            if href and not href.startswith(("mailto:", "tel:")) and href != text:
                self.parts.append(f" ({href})")
        elif tag in BLOCKS:
            self._break(2)
        if tag == "pre":
            self.in_pre = max(0, self.in_pre - 1)

    def handle_data(self, data: str) -> None:
        self.parts.append(data if self.in_pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        return tidy_text("".join(self.parts))


def tidy_text(text: str) -> str:
    """No spaces around line ends, at most one blank line in a row, one final newline."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n[ \t]+(?=\S)", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def html_to_text(html: str) -> str:
    """A readable plain-text version: paragraphs, line breaks, list items, link targets."""
    maker = _TextMaker()
    maker.feed(html)
    maker.close()
    return maker.text()


@functools.lru_cache(maxsize=256)
def text_template(html_template: str) -> str:
    """The plain-text version of an HTML template, its {{variables}} kept.

    Filled in with the same values as the HTML, it gives the text part without parsing
    every rendered email again (a batch renders one template thousands of times).
    """
    return html_to_text(html_template)
