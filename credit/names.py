"""Enterprise names as search sees them: pinyin readings, initials and full-text index terms.

Pure functions, no database: the model and the importer call :func:`pinyin_columns` when a name
is written, and :func:`search_document` when a name or district is written; the search service
calls the query-side functions. The full-text indexes of both databases are built from the
stored ``search_terms`` column, which holds :func:`index_terms` rendered for the database
(an FTS5 document on SQLite, a ``tsvector`` on PostgreSQL). ``docs/search.md`` explains why.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PINYIN_DICT, RE_HANS
from pypinyin.seg.simpleseg import seg
from pypinyin.style import convert

#: Separates the readings of a name in ``name_pinyin`` and ``name_initials``.
READING_SEPARATOR = "|"
#: A term between two readings, so that no phrase spans the end of one and the start of the
#: next. Every other term starts with a field mark, so no query ever contains it.
BARRIER = "|"
#: Field marks that start every index term: name characters, pinyin, initials, district.
#: The pinyin mark is 3 letters long so that every pinyin term has 4 characters or more while
#: the bigram terms have 3: SQLite's prefix indexes (4 to 9 characters: the mark and a partial
#: syllable of 1 to 6 letters) then hold pinyin terms only.
CHARS, PINYIN, INITIALS, DISTRICT = "c", "pyn", "i", "d"
#: PostgreSQL only (GIN reads every posting list of a query, so long lists cost there): each
#: two adjacent pinyin units of a reading as one term, ``pq`` + first + PAIR_SEPARATOR +
#: second (``pqxian·fu``), and each three adjacent initials, ``t`` + the three (``tjms``), so
#: that a query of common syllables or initials reads short posting lists instead of a phrase
#: over long ones (docs/search.md).
PINYIN_PAIRS, PAIR_SEPARATOR, INITIALS_TRIGRAMS = "pq", "\u00b7", "t"
#: PostgreSQL only: each pair once more behind the district, ``pd`` + district +
#: PAIR_SEPARATOR + the pair (``pd桦南县·mu·si``). A search in one district reads these, so a
#: pair that is common elsewhere and read as a prefix (``mu·s`` of 佳木斯, in more than half
#: of all names) is gathered from that district's names only (docs/search.md).
PAIRS_IN_DISTRICT = "pd"


def _pairs_in(district: str) -> str:
    return PAIRS_IN_DISTRICT + district + PAIR_SEPARATOR

_ASCII_WHITESPACE = " \t\n\r\f\v"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz",
                             _ASCII_WHITESPACE)
_ALNUM_RUN = re.compile(r"[0-9a-z]+")
_SYLLABLE = re.compile(r"[a-z]+")
# The name of the administrative division that starts an enterprise name (企业名称 = 行政区划 +
# 字号 + 行业 + 组织形式): 佳木斯市, 桦南县, 黑龙江省佳木斯市 (split one division at a time).
_DIVISION = re.compile(r"^[\u3400-\u9fff]{1,8}?(?:自治区|自治州|自治县|省|市|县|区|旗|盟)")


def plain_text(text: str) -> str:
    """What literal matching compares: NFKC, no ASCII whitespace, ASCII letters lowercased.

    NFKC turns full-width letters, digits and signs (``ＡＢ％``) into ASCII ones. PostgreSQL's
    index function does the same in SQL; keep both in step.
    """
    return unicodedata.normalize("NFKC", text).translate(_ASCII_LOWER)


@functools.lru_cache(maxsize=65536)
def _word_pinyin(word: str) -> tuple[str, ...]:
    # pypinyin reads a phrase as a whole (银行 yin hang, 重庆 chong qing); names reuse the same
    # few thousand words, so caching them makes a name several times faster to read.
    return tuple(lazy_pinyin(word))


def _units(part: str) -> Iterator[tuple[str, bool]]:
    """(unit, is_syllable): one toneless syllable per Chinese character, and each run of ASCII
    letters or digits (lowercased) as one unit; other signs are skipped."""
    for word in seg(part):
        if RE_HANS.match(word):
            for syllable in _word_pinyin(word):
                if _SYLLABLE.fullmatch(syllable):
                    yield syllable, True
        else:
            for run in _ALNUM_RUN.findall(word.lower()):
                yield run, False


def _divisions(name: str) -> list[str]:
    parts = []
    rest = name
    while match := _DIVISION.match(rest):
        parts.append(match.group())
        rest = rest[match.end():]
    return [*parts, rest] if parts else [name]


def readings(name: str) -> tuple[tuple[tuple[str, bool], ...], ...]:
    """The name's pinyin readings, each a tuple of ``(unit, is_syllable)``.

    The first is pypinyin's reading of the whole name, which uses its phrase dictionary for
    polyphonic characters (银行 hang, 重庆 chong, 厦门 xia). A second reading is kept when
    reading the leading administrative division apart from the rest gives something else:
    max-match glues the division to the trade name (佳木斯市长兴 reads 市长 shi zhang, "mayor",
    where the trade name 长兴 is chang xing).
    """
    text = unicodedata.normalize("NFKC", name)
    first = tuple(_units(text))
    parts = _divisions(text)
    if len(parts) == 1:
        return (first,)
    second = tuple(unit for part in parts for unit in _units(part))
    return (first,) if second == first else (first, second)


def _initials(reading: Iterable[tuple[str, bool]]) -> str:
    return "".join(unit[0] if syllable else unit for unit, syllable in reading)


def pinyin_columns(name: str) -> dict[str, str]:
    """The stored search columns of a name: ``name_pinyin`` (syllables separated by spaces) and
    ``name_initials`` (one letter a syllable, Latin letters and digits as written), each with
    its readings separated by ``|``."""
    found = readings(name)
    return {
        "name_pinyin": READING_SEPARATOR.join(" ".join(u for u, _ in r) for r in found),
        "name_initials": READING_SEPARATOR.join(_initials(r) for r in found),
    }


def compact(pinyin: str) -> str:
    """The first reading's pinyin without spaces (what the exact and prefix tiers compare)."""
    return pinyin.split(READING_SEPARATOR, 1)[0].replace(" ", "")


def _bigrams(text: str) -> list[str]:
    return [text[i:i + 2] for i in range(len(text) - 1)]


def _pairs(units: list[str]) -> list[str]:
    return [a + PAIR_SEPARATOR + b for a, b in itertools.pairwise(units)]


def _trigrams(text: str) -> list[str]:
    return [text[i:i + 3] for i in range(len(text) - 2)]


def index_terms(name: str, name_pinyin: str, name_initials: str, district: str, *,
                gin: bool = False) -> list[str]:
    """The terms of the full-text index, in order (a phrase is consecutive terms).

    Character bigrams of the plain name (a 2-character query is one term, a longer one a phrase
    of overlapping bigrams), the pinyin syllables of each reading, the bigrams of each
    reading's initials, and the district; with ``gin`` (PostgreSQL) also each two adjacent
    syllables and each three adjacent initials of each reading, and the pairs again behind
    the district. Each term starts with its field mark.
    """
    readings_ = [r.split() for r in name_pinyin.split(READING_SEPARATOR)]
    initials = name_initials.split(READING_SEPARATOR)
    fields = [(PINYIN, readings_), (INITIALS, [_bigrams(r) for r in initials])]
    if gin:
        pairs = [_pairs(units) for units in readings_]
        fields += [(PINYIN_PAIRS, pairs), (INITIALS_TRIGRAMS, [_trigrams(r) for r in initials]),
                   (_pairs_in(district), pairs)]
    terms = [CHARS + b for b in _bigrams(plain_text(name))]
    for field, values in fields:
        for n, units in enumerate(values):
            if n:
                terms.append(BARRIER)
            terms.extend(field + unit for unit in units)
    terms.append(DISTRICT + district)
    return terms


#: Escapes the ASCII signs of a term (``%`` is ``ESCAPE + "25"``), so that every term is one
#: token for SQLite's ``ascii`` tokenizer (which splits at ASCII signs) and needs no quoting
#: in an FTS5 query or a ``tsvector`` / ``tsquery``. A private-use character of plane 15, so
#: never typed; written ``ESCAPE + "zz"`` when a name holds it anyway.
ESCAPE = "\U000f0000"
_ESCAPES = {chr(c): ESCAPE + f"{c:02x}" for c in range(128) if not chr(c).isalnum()}
_ESCAPES[ESCAPE] = ESCAPE + "zz"
_ESCAPE_TABLE = str.maketrans(_ESCAPES)


def escape_term(term: str) -> str:
    """A term as stored and queried: ASCII letters and digits and non-ASCII characters as they
    are, every other ASCII character escaped (terms are lowercase already)."""
    if term.isalnum():  # the usual case, and quick (ESCAPE itself is not alphanumeric)
        return term
    return term.translate(_ESCAPE_TABLE)


def fts5_document(terms: Iterable[str]) -> str:
    """The terms as the document of SQLite's FTS5 table (``tokenize='ascii'``): one token each,
    in order."""
    return " ".join([escape_term(t) for t in terms])


def tsvector_text(terms: Iterable[str]) -> str:
    """The terms as a PostgreSQL ``tsvector`` literal with their positions (from 1), so that
    phrase queries see which terms follow which. No parser runs on it: the input function of
    ``tsvector`` keeps every lexeme as written."""
    return " ".join([f"'{escape_term(t)}':{n}" for n, t in enumerate(terms, 1)])


def search_document(name: str, name_pinyin: str, name_initials: str, district: str,
                    dialect: str) -> str:
    """The value of the ``search_terms`` column for a database dialect (``sqlite`` or
    ``postgresql``; only PostgreSQL's holds the pairs and trigrams)."""
    if dialect == "postgresql":
        return tsvector_text(index_terms(name, name_pinyin, name_initials, district, gin=True))
    return fts5_document(index_terms(name, name_pinyin, name_initials, district))


# -- the query side ---------------------------------------------------------------------------


def _syllable_inventory() -> frozenset[str]:
    found = set()
    for readings_ in PINYIN_DICT.values():
        for reading in readings_.split(","):
            syllable = convert(reading, Style.NORMAL, strict=True)
            if _SYLLABLE.fullmatch(syllable):
                found.add(syllable)
    return frozenset(found)


#: Every toneless syllable pypinyin knows (ü is written v: lv, nve).
SYLLABLES = _syllable_inventory()
# Interjections (嗯 n, 呣 m, 哼 hng) never stand inside a query: as whole syllables they would
# multiply the readings of ordinary queries (xian as xia-n).
_WHOLE = SYLLABLES - {"m", "n", "ng", "hm", "hng"}
_PREFIXES = frozenset(s[:i] for s in SYLLABLES for i in range(1, len(s) + 1))
_LONGEST = max(map(len, SYLLABLES))

#: A Latin query is read as pinyin up to this many letters, and in at most this many ways.
MAX_PINYIN_LETTERS = 60
MAX_SEGMENTATIONS = 32


def segmentations(letters: str) -> list[tuple[tuple[str, ...], str]]:
    """The ways to read lowercase letters as whole syllables followed by the start of one more:
    ``hengt`` -> ``[(("heng",), "t")]``, ``xian`` -> ``xian``, ``xi|an``, ``xia|n``, ``xi|a|n``.

    At most :data:`MAX_SEGMENTATIONS`, longer syllables first; none for more than
    :data:`MAX_PINYIN_LETTERS` letters or letters no syllable spells.
    """
    if not letters or len(letters) > MAX_PINYIN_LETTERS:
        return []

    @functools.cache
    def ways(start: int) -> tuple[tuple[tuple[str, ...], str], ...]:
        found: list[tuple[tuple[str, ...], str]] = []
        rest = letters[start:]
        if rest in _PREFIXES:
            found.append(((), rest))
        for end in range(min(len(letters), start + _LONGEST), start, -1):
            if end < len(letters) and letters[start:end] in _WHOLE:
                for syllables, tail in ways(end):
                    found.append(((letters[start:end], *syllables), tail))
                    if len(found) >= MAX_SEGMENTATIONS:
                        return tuple(found)
        return tuple(found)

    return sorted(ways(0), key=lambda way: (len(way[0]), way))[:MAX_SEGMENTATIONS]


def query_bigrams(text: str) -> list[str]:
    """Index terms of a literal query (its plain text, at least 2 characters)."""
    return [CHARS + b for b in _bigrams(plain_text(text))]


def initials_terms(letters: str, *, gin: bool = False) -> list[str]:
    """The terms of initials: bigrams, or (``gin``, 3 letters or more) trigrams."""
    if gin and len(letters) >= 3:
        return [INITIALS_TRIGRAMS + t for t in _trigrams(letters)]
    return [INITIALS + b for b in _bigrams(letters)]


def pinyin_phrases(letters: str, *, gin: bool = False, district: str | None = None
                   ) -> list[tuple[list[str], str]]:
    """Each reading of a Latin query as (whole terms, the prefix term of the last).

    Syllable terms; with ``gin`` (an index that holds the pairs) a reading of more than one
    syllable is its adjacent pairs instead: ``xianfu`` is ``pqxian·fu`` as a prefix, one
    term, where the syllables would be a phrase of ``pynxian`` and ``pynfu*``. With a
    ``district`` too, the pairs behind that district (``pd桦南县·xian·fu``).
    """
    mark = _pairs_in(district) if district else PINYIN_PAIRS
    phrases = []
    for syllables, tail in segmentations(letters):
        if gin and syllables:
            units = [*syllables, tail]
            terms = [mark + pair for pair in _pairs(units)]
            phrases.append((terms[:-1], terms[-1]))
        else:
            phrases.append(([PINYIN + s for s in syllables], PINYIN + tail))
    return phrases
