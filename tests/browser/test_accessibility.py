"""axe-core (the npm package, pinned in tests/assets) on every main page in Chromium:
no serious or critical violations, on a phone and on a desktop."""

from urllib.parse import urlparse

import pytest
from django.test import Client

from tests.quality.conftest import AXE, cast, main_pages, need  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(context, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "domain": urlparse(live_server.url).hostname,
                "path": "/",
            }
        ]
    )


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.parametrize("viewport,scheme", [(PHONE, "light"), (DESKTOP, "light"), (PHONE, "dark")])
def test_no_serious_or_critical_violations(browser, live_server, cast, viewport, scheme):  # noqa: F811
    need(AXE)
    problems = []
    for name, who, url, data in main_pages(cast):
        # axe is injected as a script of its own: CSP is bypassed for the test's script only.
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, color_scheme=scheme, bypass_csp=True
        )
        if who:
            sign_in(context, live_server, cast[who])
        page = context.new_page()
        if data is None:
            page.goto(url)
        else:
            page.goto("/timeline/")
            page.get_by_role("button", name="Check in").click()
            page.wait_for_selector("#id_state_error")
        # Opened, so what is folded away (tables beside pictures, more options) is checked.
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        for violation in result:
            if violation["impact"] in ("serious", "critical"):
                targets = [n["target"] for n in violation["nodes"]][:3]
                problems.append(f"{name}: {violation['id']} ({violation['impact']}) {targets}")
        context.close()
    assert not problems, "\n".join(problems)
