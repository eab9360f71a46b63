"""The accessibility check finds what it should, and the emails' HTML passes it too."""

from __future__ import annotations

import pytest

from tests.support.a11y import accessibility_problems
from tests.support.browser import browser, chromium_path

BAD = """<!DOCTYPE html><html><head><title>Bad</title></head><body>
<h1>Bad</h1><h3>A heading skipped a level</h3>
<p style="color:#bbb;background:#fff">Pale words nobody can read</p>
<form><input name="email"></form>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<div style="width:600px">Too wide for a phone</div>
<p><a href="#" style="outline:none">Focus cannot be seen here</a></p>
</body></html>"""


async def test_the_check_lists_each_violation_and_sideways_scroll() -> None:
    async with browser() as chromium:
        page = await chromium.new_page()
        await page.set_content(BAD)
        found = "\n".join(await accessibility_problems(page, "known-bad"))
    rules = ("html-has-lang", "color-contrast", "label", "image-alt", "heading-order", "region")
    for rule in rules:
        assert f"known-bad at 320 px: {rule} (" in found
        assert f"known-bad at 1280 px: {rule} (" in found
    assert "known-bad at 320 px: reflow: the page is 6" in found
    assert "known-bad at 1280 px: reflow" not in found
    assert "at input" in found  # where: the element's selector
    assert "known-bad at 1280 px: focus-visible: no visible focus on A Focus cannot" in found
    assert "no visible focus on INPUT" not in found  # the browser's own ring shows


def test_without_chromium_the_browser_tests_fail_unless_a_developer_opts_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CPD_CHROMIUM", "/nowhere/chromium")
    monkeypatch.delenv("CPD_NO_BROWSER", raising=False)
    with pytest.raises(pytest.fail.Exception, match="CPD_NO_BROWSER=1"):
        chromium_path()
    monkeypatch.setenv("CPD_NO_BROWSER", "1")
    with (
        pytest.warns(UserWarning, match="browser tests SKIPPED"),
        pytest.raises(pytest.skip.Exception, match="no chromium"),
    ):
        chromium_path()
