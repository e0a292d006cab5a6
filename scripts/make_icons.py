"""Draws the app icons (static/img/icon-*.png) from the mark, in Chromium, so the PNGs the
manifest lists always match static/img/mark.svg. Run after changing the mark:

    .venv/bin/python scripts/make_icons.py
"""

from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "static" / "img"
BACKGROUND = "#f7f5f1"
# name, size in px, share of the square the mark fills. A maskable icon keeps the mark
# inside the central 80% circle that every launcher's mask leaves visible.
ICONS = [
    ("icon-192.png", 192, 0.8),
    ("icon-512.png", 512, 0.8),
    ("icon-maskable-512.png", 512, 0.56),
    ("apple-touch-icon.png", 180, 0.72),
]


def main() -> None:
    mark = (IMG / "mark.svg").read_text()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        for name, size, share in ICONS:
            page = browser.new_page(viewport={"width": size, "height": size})
            side = round(size * share)
            page.set_content(
                f"<html><body style='margin:0;background:{BACKGROUND};display:grid;"
                f"place-items:center;width:{size}px;height:{size}px'>"
                f"<div style='width:{side}px;height:{side}px'>{mark}</div></body></html>"
            )
            page.locator("svg").evaluate("svg => { svg.style.width = svg.style.height = '100%'; }")
            page.screenshot(path=str(IMG / name), omit_background=False)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
