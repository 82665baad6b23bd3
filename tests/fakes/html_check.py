"""Telegram-flavoured HTML parsing for the fake Bot API server.

Telegram accepts only a small set of tags and entities in ``parse_mode="HTML"``. Anything
else makes the real server answer ``400 Bad Request: can't parse entities: ...``. The fake
reproduces that so tests catch unescaped user text, and it produces the plain text plus
``MessageEntity`` dicts (offsets in UTF-16 code units) like Telegram returns them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

__all__ = ["EntityParseError", "parse_html", "utf16_len"]

# tag -> entity type; aliases are normalised to their canonical tag first.
_ALIASES = {"strong": "b", "em": "i", "ins": "u", "strike": "s", "del": "s"}
_SIMPLE = {
    "b": "bold",
    "i": "italic",
    "u": "underline",
    "s": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "span": "spoiler",
}
_TAG_RE = re.compile(r"</?[a-zA-Z][^<>]*>")
_ENTITY_RE = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """Invalid Telegram HTML; ``str(exc)`` is what follows "can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for offsets and limits."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    start: int  # UTF-16 offset
    attrs: dict[str, str | None]
    extra: dict[str, Any] = field(default_factory=dict)


class _TelegramHTMLParser(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self._source = source
        self._line_starts = [0]
        for idx, ch in enumerate(source):
            if ch == "\n":
                self._line_starts.append(idx + 1)
        self.parts: list[str] = []
        self._u16 = 0  # UTF-16 units emitted so far
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    # -- helpers ---------------------------------------------------------------------------
    def _byte_offset(self) -> int:
        line, col = self.getpos()
        index = self._line_starts[line - 1] + col
        return len(self._source[:index].encode("utf-8"))

    def _fail(self, message: str) -> None:
        raise EntityParseError(f"{message} at byte offset {self._byte_offset()}")

    def _emit(self, text: str) -> None:
        self.parts.append(text)
        self._u16 += utf16_len(text)

    # -- HTMLParser callbacks --------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if "<" in data:
            self._fail('Unsupported start tag "" or unexpected character "<"')
        if "&" in data:
            self._fail('Character "&" is not part of an HTML entity')
        self._emit(data)

    def handle_entityref(self, name: str) -> None:
        if name not in _NAMED_ENTITIES:
            self._fail(f'Unsupported HTML entity "&{name};"')
        self._emit(_NAMED_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        try:
            code = int(name[1:], 16) if name[:1] in ("x", "X") else int(name)
            char = chr(code)
        except (ValueError, OverflowError):
            self._fail(f'Invalid character reference "&#{name};"')
            return
        self._emit(char)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr_map = dict(attrs)
        tag = _ALIASES.get(tag, tag)
        if tag not in _SIMPLE:
            self._fail(f'Unsupported start tag "{tag}"')
        if tag == "span" and attr_map.get("class") != "tg-spoiler":
            self._fail('Unsupported start tag "span"')
        if tag == "code" and self.stack and self.stack[-1].tag == "pre":
            lang = attr_map.get("class") or ""
            if lang.startswith("language-"):
                self.stack[-1].extra["language"] = lang[len("language-") :]
        self.stack.append(_Open(tag, self._u16, attr_map))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._fail(f'Unsupported self-closing tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        tag = _ALIASES.get(tag, tag)
        if not self.stack:
            self._fail(f'Unexpected end tag "{tag}"')
        top = self.stack.pop()
        if top.tag != tag:
            self._fail(f'Can\'t find end tag corresponding to start tag "{top.tag}"')
        length = self._u16 - top.start
        if length <= 0:
            return
        entity: dict[str, Any] = {"type": _SIMPLE[tag], "offset": top.start, "length": length}
        if tag == "a":
            href = top.attrs.get("href") or ""
            if href.startswith("tg://user?id="):
                entity["type"] = "text_mention"
                entity["user"] = {
                    "id": int(href.split("=", 1)[1]),
                    "is_bot": False,
                    "first_name": "",
                }
            elif href:
                entity["url"] = href
            else:
                return
        elif tag == "pre" and "language" in top.extra:
            entity["language"] = top.extra["language"]
        elif tag == "code" and self.stack and self.stack[-1].tag == "pre":
            return  # <pre><code class="language-x"> is one pre entity
        elif tag == "blockquote" and "expandable" in top.attrs:
            entity["type"] = "expandable_blockquote"
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = top.attrs.get("emoji-id") or ""
        self.entities.append(entity)

    def handle_comment(self, data: str) -> None:
        self._fail("Unsupported HTML comment")

    def handle_decl(self, decl: str) -> None:
        self._fail("Unsupported HTML declaration")

    def handle_pi(self, data: str) -> None:
        self._fail("Unsupported HTML processing instruction")

    def unknown_decl(self, data: str) -> None:
        self._fail("Unsupported HTML declaration")


def _check_ampersands(text: str) -> None:
    # html.parser silently swallows some malformed references (e.g. "R&D" at the very end),
    # so every "&" outside a tag must start a complete, ";"-terminated reference.
    masked = _TAG_RE.sub(lambda m: " " * len(m.group()), text)
    for match in re.finditer("&", masked):
        if not _ENTITY_RE.match(masked, match.start()):
            offset = len(text[: match.start()].encode("utf-8"))
            raise EntityParseError(
                f'Character "&" is not part of an HTML entity at byte offset {offset}'
            )


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML. Returns ``(plain_text, entities)``; raises :class:`EntityParseError`."""
    _check_ampersands(text)
    parser = _TelegramHTMLParser(text)
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{parser.stack[-1].tag}"'
        )
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.parts), entities
