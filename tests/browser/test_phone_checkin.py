"""The check-in on a phone, where the hard moments happen: the three states and the button
on the first screen, one row of navigation with a fixed place for "Leave quickly", two taps
that save one check-in, and word of it (or the pause card) where the eye already is."""

import pytest
from playwright.sync_api import expect

from checkins.models import CheckIn, Flag
from tests.browser.test_timeline_journey import log_in
from tests.factories import CheckInFactory
from tests.quality.conftest import AXE, need

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SMALL = {"width": 360, "height": 640}
MEDIUM = {"width": 390, "height": 844}
PHONES = pytest.mark.parametrize("viewport", [SMALL, MEDIUM], ids=["360x640", "390x844"])
STATES = ("Regulated", "Activated", "Shut down")


def phone(new_page, viewport, **options):
    return new_page(viewport=viewport, has_touch=True, is_mobile=True, **options)


def uncovered_height(page) -> float:
    """How much of the screen is page: the viewport above the fixed bar of places."""
    bar = page.locator("nav[aria-label='Main']").bounding_box()
    return min(bar["y"], page.viewport_size["height"])


def assert_fully_visible(page, locator, bottom: float) -> None:
    box = locator.bounding_box()
    assert box is not None, locator
    width = page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, (locator, box)
    assert box["y"] >= 0 and box["y"] + box["height"] <= bottom, (locator, box, bottom)


def assert_one_row(locators) -> None:
    """Side by side: every one's vertical middle within a few pixels of the others'."""
    middles = [box["y"] + box["height"] / 2 for box in (loc.bounding_box() for loc in locators)]
    assert max(middles) - min(middles) <= 4, middles


def assert_target(locator) -> None:
    box = locator.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44, (locator, box)


@PHONES
def test_the_states_and_the_button_are_on_the_first_screen(
    new_page, partner_a, partner_b, viewport
):
    page = phone(new_page, viewport)
    log_in(page, partner_a.email)
    assert page.evaluate("window.scrollY") == 0
    bottom = uncovered_height(page)
    form = page.locator("#checkin_form")
    for state in STATES:
        option = form.locator("label.state-option").filter(has_text=state)
        assert_fully_visible(page, option, bottom)
        assert_target(option)
        # The meaning is not hidden: a few words beside it, the full ones a tap away.
        expect(option.locator(".state-option__hint")).to_be_visible()
    button = form.get_by_role("button", name="Check in", exact=True)
    assert_fully_visible(page, button, bottom)
    assert_target(button)
    # Nothing runs off the side.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    meanings = form.get_by_text("What do these mean?")
    assert_target(meanings)
    meanings.tap()
    expect(form.get_by_text("Fight or flight: urgent, anxious, louder")).to_be_visible()
    assert_target(form.get_by_text("Add more (all optional)"))


@PHONES
def test_the_navigation_is_one_row_with_the_bell_and_leave_quickly(
    new_page, partner_a, partner_b, viewport
):
    page = phone(new_page, viewport)
    log_in(page, partner_a.email)
    nav = page.get_by_role("navigation", name="Main")
    links = nav.get_by_role("link")
    expect(links).to_have_count(4)
    assert_one_row([links.nth(i) for i in range(4)])
    boxes = [links.nth(i).bounding_box() for i in range(4)]
    for i in range(4):
        assert_target(links.nth(i))
    # The bar sits at the bottom of the screen, under the thumb, and stays there.
    bar = nav.bounding_box()
    assert bar["height"] <= max(box["height"] for box in boxes) + 2
    assert abs(bar["y"] + bar["height"] - viewport["height"]) <= 1
    expect(nav.get_by_role("link", name="Timeline")).to_have_attribute("aria-current", "page")

    # The header is one row too: the brand, settings and "Leave quickly", in its fixed place
    # at the top right of every signed-in page.
    header = page.locator(".site-header__inner")
    assert_one_row(
        [header.locator(s).first for s in (".brand", ".site-account__link", ".quick-exit")]
    )
    leave = page.get_by_role("link", name="Leave quickly")
    assert_fully_visible(page, leave, viewport["height"])
    assert_target(leave)
    assert_target(page.get_by_role("link", name="Settings"))
    right = leave.bounding_box()
    assert viewport["width"] - (right["x"] + right["width"]) <= 20

    # The bell's count rides on the Notifications place; it is in the link's name too.
    CheckInFactory(author=partner_b, state="regulated")
    partner_a.notifications.create(kind="new_device", url="/settings/")
    unread = partner_a.notifications.filter(read_at__isnull=True).count()
    page.reload()
    bell = nav.get_by_role("link", name=f"Notifications {unread} unread")
    expect(bell.locator(".badge")).to_be_visible()
    bell.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(nav.get_by_role("link", name="Notifications")).to_have_attribute("aria-current", "page")
    for other in ("Articles", "Partner", "Timeline"):
        nav.get_by_role("link", name=other).tap()
        expect(nav.get_by_role("link", name=other)).to_have_attribute("aria-current", "page")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@PHONES
def test_two_taps_save_one_checkin_and_say_so_beside_the_button(
    new_page, partner_a, partner_b, viewport
):
    page = phone(new_page, viewport)
    log_in(page, partner_a.email)
    form = page.locator("#checkin_form")
    button = form.get_by_role("button", name="Check in", exact=True)
    before = button.bounding_box()

    form.locator("label.state-option", has_text="Activated").tap()
    button.tap()
    status = page.locator("#checkin_status")
    expect(status).to_contain_text("Checked in: Activated")
    expect(status).to_contain_text("Sam will see it.")
    assert CheckIn.objects.filter(author=partner_a).count() == 1
    # No jump: the page did not scroll, the button did not move, the line is on screen.
    assert page.evaluate("window.scrollY") == 0
    assert button.bounding_box() == before
    assert_fully_visible(page, status, uncovered_height(page))
    expect(page.get_by_role("radio", name="Activated")).not_to_be_checked()  # a fresh form
    expect(page.locator(".entry").first).to_contain_text("Activated")


def test_while_saving_the_button_says_so_and_a_second_press_does_nothing(
    new_page, partner_a, partner_b
):
    page = phone(new_page, SMALL)
    log_in(page, partner_a.email)
    held, posts = [], []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    page.route("**/timeline/checkins/", lambda route: held.append(route))

    form = page.locator("#checkin_form")
    form.locator("label.state-option", has_text="Shut down").tap()
    button = page.locator("#checkin_submit")
    button.tap()
    expect(button).to_have_accessible_name("Saving…")
    # A second tap, a double tap and Enter while the first is on its way send nothing more.
    button.tap(force=True)
    button.dblclick(force=True)
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert len(posts) == 1
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("#checkin_status")).to_contain_text("Checked in: Shut down")
    expect(button).to_have_accessible_name("Check in")
    assert CheckIn.objects.count() == 1
    # The button kept its place in the keyboard's order.
    assert page.evaluate("document.activeElement.id") == "checkin_submit"


@PHONES
def test_a_mismatch_brings_the_pause_card_where_the_eye_is(
    new_page, partner_a, partner_b, viewport
):
    need(AXE)
    CheckInFactory(author=partner_b, state="activated", need="none")
    page = phone(new_page, viewport, bypass_csp=True)
    log_in(page, partner_a.email)
    url = page.url
    form = page.locator("#checkin_form")
    form.locator("label.state-option", has_text="Activated").tap()
    form.get_by_role("button", name="Check in", exact=True).tap()

    card = form.locator("#checkin_after").get_by_role("region", name="A moment to pause")
    expect(card).to_be_visible()
    expect(card).to_contain_text("You and Sam are both activated right now.")
    expect(page.locator("#checkin_status")).to_contain_text("A moment to pause: You and Sam")
    assert page.url == url and page.evaluate("window.scrollY") == 0
    # The card's heading and its way on are on the first screen, under the button.
    bottom = uncovered_height(page)
    assert_fully_visible(page, card.get_by_role("heading"), bottom)
    help_link = card.get_by_role("link", name="What helps now")
    assert_target(help_link)
    assert_fully_visible(page, help_link, bottom)

    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    serious = [v["id"] for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, serious

    help_link.tap()
    flag = Flag.objects.get()
    expect(page).to_have_url(f"{page.url.split('/timeline/')[0]}/timeline/flags/{flag.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Let's pause for a moment")


def test_focus_goes_from_the_state_straight_to_the_button(new_page, partner_a, partner_b):
    page = phone(new_page, SMALL)
    log_in(page, partner_a.email)
    page.get_by_role("radio", name="Regulated").focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name="Activated")).to_be_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "checkin_submit"
    page.keyboard.press("Enter")
    expect(page.locator("#checkin_status")).to_contain_text("Checked in: Activated")
    # Focus stays on the button after the swap, ready for the next check-in.
    assert page.evaluate("document.activeElement.id") == "checkin_submit"


def test_on_a_wide_screen_the_navigation_is_one_row_in_the_header(new_page, partner_a, partner_b):
    page = new_page(viewport={"width": 1280, "height": 800})
    log_in(page, partner_a.email)
    header = page.locator(".site-header__inner").bounding_box()
    assert header["height"] < 70
    assert_one_row(
        [
            page.locator(s).first
            for s in (".brand", ".site-nav a", ".site-account__link", ".quick-exit")
        ]
    )
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_control_reached_by_tab_is_never_hidden_under_the_bar(new_page, partner_a, partner_b):
    for i in range(4):
        CheckInFactory(author=partner_b if i % 2 else partner_a, state="regulated")
    page = phone(new_page, SMALL)
    log_in(page, partner_a.email)
    bar = page.get_by_role("navigation", name="Main")
    page.locator("body").focus()
    seen = 0
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break  # past the last control
        if page.evaluate("document.activeElement.closest('nav[aria-label=Main]') !== null"):
            continue
        box = page.evaluate(
            "(() => { const r = document.activeElement.getBoundingClientRect();"
            " return {top: r.top, bottom: r.bottom}; })()"
        )
        if box["bottom"] - box["top"] < 2:  # a visually hidden radio: its label shows focus
            continue
        assert box["bottom"] <= bar.bounding_box()["y"] + 1, box
        seen += 1
    assert seen > 15
