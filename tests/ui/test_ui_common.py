"""Dutch numbers and clock, state gauges and the error guard."""

from __future__ import annotations

import logging

from sim.ui.common import ERROR_TEXT, fmt_at, fmt_clock, fmt_num, guarded, message_html, state_html


def test_dutch_numbers_and_clock():
    """Are numbers written with a decimal comma and the clock in Dutch words?"""
    assert fmt_num(12.5) == "12,5" and fmt_num(80.0) == "80" and fmt_num(-0.0) == "0"
    assert fmt_clock(0) == "net gemeld"
    assert fmt_clock(2.5) == "2,5 uur na de melding"
    assert fmt_clock(24) == "1 dag na de melding"
    assert fmt_clock(122) == "5 dagen en 2 uur na de melding"
    assert fmt_at(0.5) == "+0,5 uur" and fmt_at(48) == "+2 dagen"


def test_spread_names_follow_the_engine():
    """Is there a Dutch name for every spread level of the engine?"""
    from sim.engine import MAX_LEVEL, SPREAD_LEVELS
    from sim.ui.common import MAX_SPREAD, SPREAD_NAMES

    assert set(SPREAD_NAMES) == set(SPREAD_LEVELS) and MAX_SPREAD == MAX_LEVEL


def test_state_gauges_say_it_in_words():
    """Do the gauges carry Dutch labels, values, levels and changes as text (the bars are decoration)?"""
    html = state_html(
        {"bereik": 2.0, "welzijn": 40.0, "onrust": 80.0, "vertrouwen": 65.0, "gestopt": True},
        3.0,
        {"welzijn": 45.0, "onrust": 70.0, "vertrouwen": 65.0},
    )
    for text in (
        "Verspreiding",
        "in de klas · gestopt",
        "Welzijn slachtoffer",
        "40 van 100 · zorgelijk",
        "gedaald met 5",
        "Onrust op school",
        "zeer onrustig",
        "gestegen met 10",
        "Vertrouwen ouders",
        "3 uur na de melding",
    ):
        assert text in html
    assert html.count('aria-hidden="true"') >= 4


def test_guard_shows_dutch_without_traceback(caplog):
    """Does a failing callback log the error and show only the Dutch message?"""
    shown = []

    @guarded(shown.append)
    def boom():
        raise ValueError("secret internals")

    with caplog.at_level(logging.ERROR, logger="sim.ui"):
        assert boom() is None
    assert shown == [ERROR_TEXT]
    assert "secret internals" in caplog.text
    assert 'role="alert"' in message_html(ERROR_TEXT) and "Er ging iets mis" in ERROR_TEXT
