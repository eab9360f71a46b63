"""A school's brand colour is refused where white text on it, or it as text on white, would
fall below WCAG AA's 4.5:1."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cpd.branding import Branding, contrast_with_white


def test_contrast_is_wcags_ratio() -> None:
    assert contrast_with_white("#ffffff") == pytest.approx(1.0)
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white("#767676") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("colour", ["#767676", "#0B4F9C", " #1b5e20 "])
def test_a_readable_colour_is_kept(colour: str) -> None:
    assert Branding(colour=colour).colour == colour.strip().lower()


@pytest.mark.parametrize(
    ("colour", "says"),
    [
        ("#777777", "contrast of 4.48:1"),  # just under
        ("#ffcc00", "contrast of 1.51:1"),
        ("blue", "a hex colour like #0b4f9c"),
        ("#0b4f9", "a hex colour like #0b4f9c"),
        ("#0b4f9c;background:url(x)", "a hex colour like #0b4f9c"),
    ],
)
def test_an_unreadable_or_malformed_colour_is_refused(colour: str, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        Branding(colour=colour)
