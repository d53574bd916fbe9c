"""The pages' settings tables: each setting named once, its default allowed, every preset made
of the table's own settings and values, and the Reset notice derived from the table."""

from __future__ import annotations

import importlib

import pytest

from pages.settings.table import (
    Setting,
    format_value,
    needs_reset,
    preset_state,
    preset_values,
    read_link,
)

PAGES = {"rbm": "rbm", "gan": "gan", "gan_2d": "g2", "rbm_exact": "ex"}


def table(page: str):
    return importlib.import_module(f"pages.settings.{page}")


@pytest.mark.parametrize("page", PAGES)
def test_each_setting_is_named_once_with_an_allowed_default(page):
    settings = table(page).SETTINGS
    names = [setting.name for setting in settings]
    keys = [setting.key for setting in settings]
    assert len(set(names)) == len(names) and len(set(keys)) == len(keys)
    assert all(key.startswith(PAGES[page] + "_") for key in keys)
    for setting in settings:
        assert setting.parse(format_value(setting.default)) == setting.default, setting.name
        assert setting.label, setting.name  # the widget and the share dialog name it


@pytest.mark.parametrize("page", PAGES)
def test_every_preset_sets_the_tables_own_settings_to_allowed_values(page):
    module = table(page)
    assert module.PRESETS
    for name, (values, sentence) in module.PRESETS.items():
        state = preset_state(module.SETTINGS, values)
        assert set(state) <= {setting.key for setting in module.SETTINGS}, name
        assert sentence.endswith("."), name
        # and the page can build its run's settings from them
        full = preset_values(module.SETTINGS, values)
        builder = getattr(module, "job_settings", None) or module.config_values
        assert builder(full) is not None


def test_a_preset_with_a_name_or_value_the_table_lacks_is_refused():
    settings = (Setting("k", "x_k", 1, low=1, high=5, integer=True, label="k"),)
    with pytest.raises(ValueError, match="not a setting"):
        preset_state(settings, {"lr": 0.1})
    with pytest.raises(ValueError, match="between"):
        preset_state(settings, {"k": 9})


def test_the_reset_notice_follows_the_settings_that_build_a_model():
    settings = table("rbm").SETTINGS
    values = preset_values(settings, {})
    before = needs_reset(settings, values)
    assert needs_reset(settings, values | {"lr": 0.5, "k": 3, "method": "PCD"}) == before
    for name in ("hidden", "batch", "seed", "dataset"):
        changed = values | {name: "other"}
        assert needs_reset(settings, changed) != before, name


@pytest.mark.parametrize("page", PAGES)
def test_a_link_of_every_setting_at_its_default_reads_back_whole(page):
    settings = table(page).SETTINGS
    query = {setting.name: format_value(setting.default) for setting in settings}
    values, notices = read_link(query, settings)
    assert notices == []
    assert values == {setting.key: setting.default for setting in settings}
