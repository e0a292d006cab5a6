import pytest
from playwright.sync_api import expect

from tests.browser.test_timeline_journey import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused(page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            const label = el.closest('label');
            return {tag: el.tagName, name: el.name || '', value: el.value || '',
                    text: (label ? label.innerText : el.innerText || '').trim(),
                    outline: style.outlineStyle, outlineWidth: style.outlineWidth,
                    shadow: label ? getComputedStyle(label).outlineStyle : 'none'};
        }"""
    )


def test_a_keyboard_alone_checks_in(new_page, partner_a, partner_b):
    page = new_page()
    log_in(page, partner_a.email)
    page.locator("body").focus()
    # Tab from the top: the skip link first, then on to the state choices.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to content"
    for _ in range(30):
        page.keyboard.press("Tab")
        if focused(page)["name"] == "state":
            break
    state = focused(page)
    assert state["name"] == "state", "the state choice is not reachable by Tab"
    page.keyboard.press("ArrowDown")  # move to "Activated" and select it
    assert focused(page)["value"] == "activated"
    # The focused card shows a visible focus ring (the input itself is visually hidden).
    ring = page.evaluate(
        "() => getComputedStyle(document.activeElement.closest('label')).outlineStyle"
    )
    assert ring != "none"
    for _ in range(20):
        page.keyboard.press("Tab")
        info = focused(page)
        assert info["outline"] != "none" or info["tag"] == "SUMMARY", info
        if info["tag"] == "BUTTON" and info["text"] == "Check in":
            break
    assert focused(page)["text"] == "Check in"
    page.keyboard.press("Enter")
    expect(page.locator(".entry").first).to_contain_text("Activated")
    # No trap: focus keeps moving on past the form.
    seen = set()
    for _ in range(15):
        page.keyboard.press("Tab")
        seen.add(focused(page)["text"])
    assert len(seen) > 3
