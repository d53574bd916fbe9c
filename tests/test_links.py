"""Settings in the URL: parsing, refusing bad values with a notice, writing them back."""

from __future__ import annotations

from pages.settings.table import Setting, format_value, link_values, read_link

SETTINGS = (
    Setting("dataset", "w_dataset", "mnist-5k", choices=["mnist-5k", "digits"]),
    Setting("lr", "w_lr", 2e-4, choices=[1e-4, 2e-4, 1e-3]),
    Setting("k", "w_k", 1, low=1, high=10, integer=True),
    Setting("momentum", "w_momentum", 0.5, low=0.0, high=0.95),
    Setting("saturating", "w_saturating", False, choices=[False, True]),
)


def test_a_good_link_restores_every_value():
    values, notices = read_link(
        {"dataset": "digits", "lr": "0.001", "k": "5", "momentum": "0.9", "saturating": "1"},
        SETTINGS,
    )
    assert notices == []
    assert values == {
        "w_dataset": "digits",
        "w_lr": 1e-3,
        "w_k": 5,
        "w_momentum": 0.9,
        "w_saturating": True,
    }
    assert isinstance(values["w_k"], int)


def test_bad_values_fall_back_with_a_notice_each_and_unknown_keys_are_ignored():
    query = {
        "dataset": "imagenet",
        "lr": "lots",
        "k": "2.5",
        "momentum": "nan",
        "saturating": "maybe",
        "utm_source": "slides",
    }
    values, notices = read_link(query, SETTINGS)
    assert values == {}
    assert len(notices) == 5
    assert "dataset=imagenet" in notices[0] and "mnist-5k" in notices[0]
    assert "whole number" in notices[2]
    values, notices = read_link({"k": "11", "momentum": "-1"}, SETTINGS)
    assert values == {} and all("between" in notice for notice in notices)
    values, notices = read_link({"k": "x" * 5000}, SETTINGS)
    assert len(notices[0]) < 300  # a long value is not echoed whole


def test_link_values_round_trip_and_leave_defaults_out():
    state = {"w_dataset": "digits", "w_lr": 2e-4, "w_k": 3, "w_momentum": 0.15000000000000002}
    query = link_values(state, SETTINGS)
    assert query == {"dataset": "digits", "k": "3", "momentum": "0.15"}
    values, notices = read_link(query, SETTINGS)
    assert notices == [] and values["w_k"] == 3 and values["w_momentum"] == 0.15
    assert format_value(True) == "1" and format_value(1e-4) == "0.0001"
