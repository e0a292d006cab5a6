"""The README's phone picture: the demo partner's timeline on a 390x844 phone, as it opens.

Usage, with `make run` serving: .venv/bin/python scripts/phone_screenshot.py [base URL]
Writes docs/phone-timeline.png. Chromium is Debian's, at /usr/bin/chromium.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "docs" / "phone-timeline.png"


def main(base: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        context = browser.new_context(
            base_url=base,
            viewport={"width": 390, "height": 844},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill("alex@demo.attune")
        page.get_by_label("Password").fill("attune-demo-2026")
        page.get_by_role("button", name="Sign In", exact=True).click()
        page.wait_for_url("**/timeline/")
        page.screenshot(path=OUT)
        browser.close()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
