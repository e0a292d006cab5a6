"""Smoke test of `make run`: the home page answers and the demo partner can log in.

Usage: python scripts/smoke_run.py http://127.0.0.1:8765
"""

import http.cookiejar
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def main(base: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    deadline = time.monotonic() + 240
    while True:
        try:
            home = opener.open(f"{base}/", timeout=5).read().decode()
            break
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                sys.exit("the run command never served the home page")
            time.sleep(1)
    assert "pull in opposite directions" in home, "home page without its text"

    login_page = opener.open(f"{base}/accounts/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "login": "alex@demo.attune",
            "password": "attune-demo-2026",
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=form, headers={"Referer": f"{base}/accounts/login/"}
    )
    timeline = opener.open(request, timeout=10)
    body = timeline.read().decode()
    assert timeline.url.endswith("/timeline/"), timeline.url
    assert "You and Sam share this timeline" in body, "demo partner not linked"
    print(f"run path ok: home page served, demo partner logged in at {timeline.url}")


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"))
