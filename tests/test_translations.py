"""Every user-facing string in the code has its English translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
METHODS = [("**/.venv/**", "ignore"), ("**/tests/**", "ignore"), ("**.py", "python"),
           ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def test_english_catalogue_is_complete():
    with (ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalogue = read_po(f)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    used = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS
    ):
        used.add(message if isinstance(message, str) else message[0])
    missing = sorted(used - translated)
    assert not missing, f"add English for these (make messages): {missing}"
    assert len(used) > 20
