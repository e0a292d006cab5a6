"""An open timeline whose poll meets a server that cannot answer (the 503 a database outage
gets, tests/faults/) waits as long as the server asks before it polls again, and carries on
at its usual pace once answers come back. The answers are shaped here (Playwright's route)
because the outage itself is tested with real processes elsewhere; this is about the page."""

import time

import pytest

from tests.browser.test_timeline_journey import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_poll_waits_out_a_503_for_as_long_as_retry_after_says(
    new_page, partner_a, partner_b, settings
):
    settings.TIMELINE_POLL_SECONDS = 1
    page = new_page()
    log_in(page, partner_a.email)
    asked: list[float] = []
    down = {"retry_after": "4"}

    def answer(route):
        asked.append(time.monotonic())
        if down:
            route.fulfill(status=503, headers={"Retry-After": down["retry_after"]}, body="")
        else:
            route.fulfill(status=204, body="")

    page.route("**/timeline/poll/**", answer)
    page.wait_for_timeout(2500)
    assert len(asked) == 1, asked  # one 503, then quiet: every second would be 2 or 3

    down.clear()  # the server is back
    page.wait_for_timeout(5000)
    # After the four seconds (on the next tick) the page asks again, then every second.
    assert len(asked) >= 3, asked
    assert asked[1] - asked[0] >= 3.5


def test_without_retry_after_the_pause_doubles(new_page, partner_a, partner_b, settings):
    settings.TIMELINE_POLL_SECONDS = 1
    page = new_page()
    log_in(page, partner_a.email)
    asked: list[float] = []

    def answer(route):
        asked.append(time.monotonic())
        route.fulfill(status=502, body="")

    page.route("**/timeline/poll/**", answer)
    page.wait_for_timeout(9000)
    gaps = [later - earlier for earlier, later in zip(asked, asked[1:], strict=False)]
    # 2 s, then 4 s, ...: not one a second.
    assert len(asked) <= 4, asked
    assert all(gap >= 1.8 for gap in gaps), gaps
    assert gaps == sorted(gaps)
