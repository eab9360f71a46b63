"""An accessibility check of a page in a real browser: axe-core, WCAG 2.2 AA, phone and desk.

``await assert_accessible(page, "event")`` checks the page as it is now at 320 px wide (the
narrowest phone WCAG's reflow criterion asks for) and at 1280 px, saves a screenshot of
each into test-artifacts/ (a11y-<name>-320.png, a11y-<name>-1280.png), and fails listing
every violation: rule, impact, where (CSS selectors) and axe's help text. Two things axe
does not check are checked too: at 320 px the page must not scroll sideways (WCAG 1.4.10),
and each stop of the keyboard's Tab shows a focus ring (WCAG 2.4.7).

axe-core's script comes inside axe-playwright-python (no network), and Playwright's
evaluate runs it whatever the page's Content-Security-Policy says: the pages keep theirs.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.base import AXE_SCRIPT
from playwright.async_api import Page

from tests.support.browser import artifact

# The WCAG 2.0, 2.1 and 2.2 A and AA rules (axe's tags), and the few of axe's "best
# practice" rules that keep a page easy to move around with a screen reader: headings in
# order, one h1, everything inside a landmark, one main.
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BEST_PRACTICE = [
    "heading-order",
    "page-has-heading-one",
    "empty-heading",
    "region",
    "landmark-one-main",
    "landmark-no-duplicate-main",
    "landmark-unique",
]
WIDTHS = (320, 1280)
HEIGHT = 800


def describe(violations: list[dict[str, Any]]) -> list[str]:
    """One line per element that fails a rule, for a person to act on."""
    lines = []
    for v in violations:
        for node in v["nodes"]:
            where = " ".join(str(t) for t in node["target"])
            lines.append(f"{v['id']} ({v['impact']}) at {where}: {v['help']} [{v['helpUrl']}]")
    return lines


# What the focused element looks like, and a name to find it by.
_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  // In a frame, focus is on an element of the frame's own page, which shows it there.
  if (el.tagName === "IFRAME") return {ring: true, name: "IFRAME " + (el.title || "")};
  const s = getComputedStyle(el);
  // The browser's own ring ("auto"), or one of ours at least 2 px wide.
  const ring = s.outlineStyle === "auto"
    || (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2);
  const name = (el.tagName + " " + (el.id ? "#" + el.id : "") + " "
    + (el.getAttribute("aria-label") || el.textContent || el.getAttribute("name") || ""))
    .replace(/\\s+/g, " ").trim().slice(0, 60);
  return {ring: ring || s.boxShadow !== "none", name: name};
}"""


async def focus_problems(page: Page, most: int = 60) -> list[str]:
    """Tab through the page as a keyboard user: each stop must show where focus is."""
    found = []
    await page.evaluate("document.activeElement && document.activeElement.blur()")
    seen = set()
    for _ in range(most):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(_FOCUSED)
        if focused is None or focused["name"] in seen:
            break
        seen.add(focused["name"])
        if not focused["ring"]:
            found.append(f"focus-visible: no visible focus on {focused['name']}")
    return found


async def problems_at(page: Page, name: str, width: int) -> list[str]:
    """What fails at this width: axe's violations, and any sideways scroll at 320 px."""
    await page.set_viewport_size({"width": width, "height": HEIGHT})
    options = {
        "runOnly": {"type": "tag", "values": WCAG_22_AA},
        "rules": {rule: {"enabled": True} for rule in BEST_PRACTICE},
        "resultTypes": ["violations"],
    }
    # axe-core's script goes in once per page loaded (it is half a megabyte).
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE_SCRIPT)
    results = await page.evaluate("options => axe.run(document, options)", options)
    found = describe(results["violations"])
    wide = await page.evaluate("document.documentElement.scrollWidth")
    if width <= 320 and wide > width:
        found.append(f"reflow: the page is {wide} px wide at {width} px, so it scrolls sideways")
    if width > 320:  # the keyboard walk once; the styles are the same at each width
        found += await focus_problems(page)
    await page.screenshot(path=artifact(f"a11y-{name}-{width}.png"), full_page=True)
    return [f"{name} at {width} px: {line}" for line in found]


async def accessibility_problems(page: Page, name: str) -> list[str]:
    """Every problem on the page as it is now, at each width; the viewport is put back."""
    before = page.viewport_size
    found = []
    for width in WIDTHS:
        found += await problems_at(page, name, width)
    if before:
        await page.set_viewport_size(before)
    return found


async def assert_accessible(page: Page, name: str) -> None:
    found = await accessibility_problems(page, name)
    assert not found, f"{len(found)} accessibility problem(s):\n" + "\n".join(found)
