"""Every setting and bootstrap key is documented (one place for facts, docs that keep up)."""
from __future__ import annotations

from conftest import ROOT

from appliance.config import BOOTSTRAP
from appliance.settings import SETTINGS


def test_every_setting_is_in_the_settings_doc():
    text = (ROOT / "docs" / "settings.md").read_text()
    missing = [key for key in SETTINGS if f"`{key}`" not in text]
    assert not missing, f"docs/settings.md lacks {missing}"
    from appliance.settings import doc_text
    assert text == doc_text(), "regenerate: python3 -c 'from appliance.settings import " \
        "doc_text; print(doc_text(), end=\"\")' > docs/settings.md"


def test_every_bootstrap_key_is_in_the_example_ini():
    import configparser
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "config" / "appliance.ini.example")
    keys = {f"{s}.{k}" for s in parser.sections() for k in parser[s]}
    assert keys == set(BOOTSTRAP)
    from appliance.config import example_text
    assert (ROOT / "config" / "appliance.ini.example").read_text() == example_text(), \
        "regenerate: python3 -c 'from appliance.config import example_text; " \
        "print(example_text(), end=\"\")' > config/appliance.ini.example"


def test_readme_has_the_two_commands():
    text = (ROOT / "README.md").read_text()
    assert "scripts/demo.sh" in text and "scripts/test.sh" in text
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
