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


def test_templates_translate_escape_and_format_as_jinja_newstyle_gettext(app):
    """The templates' ``_()`` (credit.extensions.install_template_gettext) translates for the
    request, escapes its variables where the template escapes, and always %-formats."""
    from flask_babel import force_locale

    page = ("{{ _('辖区') }}|{{ _('“%(q)s”的查询结果', q=q) }}|{{ gettext('100%%') }}|"
            "{% autoescape false %}{{ _('“%(q)s”的查询结果', q=q) }}{% endautoescape %}")
    with app.test_request_context("/"):
        html = app.jinja_env.from_string(page).render(q="<b>")
        assert html == "辖区|“&lt;b&gt;”的查询结果|100%|“<b>”的查询结果"
    with app.test_request_context("/"), force_locale("en"):
        english = app.jinja_env.from_string(page).render(q="<b>")
    assert english.split("|")[0] == "Jurisdiction" and "&lt;b&gt;" in english.split("|")[1]
    with app.test_request_context("/"):  # and back in the default language
        assert app.jinja_env.from_string(page).render(q="<b>") == html
