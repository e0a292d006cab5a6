"""The Nu HTML Checker (vnu.jar from the vnu-jar npm package, on the installed Java) on the
rendered HTML of every main page: zero errors."""

import json
import subprocess

from tests.quality.conftest import VNU, main_pages, need


def test_every_main_page_is_valid_html(client, cast, tmp_path):
    need(VNU)
    files = {}
    for index, (name, who, url, data) in enumerate(main_pages(cast)):
        client.logout()
        if who:
            client.force_login(cast[who])
        response = client.post(url, data) if data is not None else client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        path = tmp_path / f"page{index:02d}.html"
        path.write_bytes(response.content)
        files[path.name] = name
    result = subprocess.run(
        [
            "java",
            "-jar",
            str(VNU),
            "--format",
            "json",
            "--exit-zero-always",
            *map(str, sorted(tmp_path.glob("*.html"))),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [
        f"{files[m['url'].rsplit('/', 1)[-1]]}: line {m.get('lastLine')}: {m['message']}"
        for m in messages
        if m["type"] == "error"
    ]
    assert not errors, "\n".join(errors)
