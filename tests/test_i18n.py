"""Both languages, complete both ways: no untranslated or fuzzy entry, nothing unextracted."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["zh_Hans", "en"]


def _catalogue(path: Path):
    with path.open("rb") as f:
        return read_po(f)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete(language):
    catalogue = _catalogue(LOCALE / language / "LC_MESSAGES" / "django.po")
    untranslated = [
        m.id
        for m in catalogue
        if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not untranslated, f"{language}: untranslated {untranslated}"
    assert not fuzzy, f"{language}: fuzzy {fuzzy}"
    assert len(catalogue) > 100


def test_chinese_catalogue_is_really_chinese():
    catalogue = _catalogue(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po")
    copied = [
        m.id
        for m in catalogue
        if m.id and isinstance(m.id, str) and len(m.id) > 12 and m.string == m.id
    ]
    assert not copied, f"English left in the Chinese catalogue: {copied}"


def test_every_marked_string_is_in_the_catalogues(tmp_path):
    """Extract the strings afresh (GNU gettext's xgettext, as makemessages does) and compare."""
    assert shutil.which("xgettext"), (
        "GNU gettext is needed for this test: apt-get install gettext (make test does)"
    )
    # makemessages writes beside the sources it finds; give it a tree of links to them so it
    # writes into tmp_path, never into the project's own catalogues.
    tree = tmp_path / "tree"
    tree.mkdir()
    base = Path(settings.BASE_DIR)
    for child in base.iterdir():
        if child.name not in {"locale", "tests", ".venv", ".tools", ".git", "staticfiles", "media"}:
            (tree / child.name).symlink_to(child)
    (tree / "locale").mkdir()
    script = (
        "import django, os, sys\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.test'\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.management import call_command\n"
        f"settings.LOCALE_PATHS = [{str(tree / 'locale')!r}]\n"
        "call_command('makemessages', locale=['zh_Hans'], symlinks=True, verbosity=0)\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=tree, check=True, timeout=180)
    fresh = {
        (m.id, m.context)
        for m in _catalogue(tree / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
        if m.id
    }
    for language in LANGUAGES:
        committed = {
            (m.id, m.context)
            for m in _catalogue(LOCALE / language / "LC_MESSAGES" / "django.po")
            if m.id
        }
        missing = fresh - committed
        assert not missing, (
            f"{language}: run `make messages` and translate: {sorted(missing, key=str)}"
        )
