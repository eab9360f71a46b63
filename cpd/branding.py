"""How a school's emails look and sound: names, sign-off, logo, and copy overrides.

Validated when a school uploads it, so a bad value is a 422 then, never a
broken email later. Overrides are plain text (rendered escaped, never as
templates), so a school cannot inject markup or template code.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, Field, HttpUrl, UrlConstraints, field_validator

from cpd.i18n import N_
from cpd.plans import StepKind

# The service's own blue; a school's colour replaces it on buttons and links.
DEFAULT_COLOUR = "#0b4f9c"
# WCAG 2.x AA for normal text: white button text on the colour, and the colour as link text.
MIN_CONTRAST = 4.5
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio of a #rrggbb colour against white (1 to 21)."""

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


class CopyOverride(BaseModel):
    headline: str = Field(default="", max_length=80)
    intro: str = Field(default="", max_length=400, description="A line before the question")

    @field_validator("headline")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())


# Translated for Welsh teachers when left as it is (emails/content.py).
DEFAULT_SIGN_OFF = N_("With thanks,")


# Long enough for any real logo's address; short enough that its host stays a valid one.
LOGO_URL_MAX = 250


class Branding(BaseModel):
    sender_name: str = Field(default="", max_length=80, description="Shown as the From name")
    sign_off: str = Field(default=DEFAULT_SIGN_OFF, max_length=80)
    signature: str = Field(default="", max_length=120, description="e.g. Ms Patel, CPD lead")
    logo_url: Annotated[HttpUrl, UrlConstraints(max_length=LOGO_URL_MAX)] | None = Field(
        default=None,
        description="https only; shown with alt text",
        # The rules below, in the schema: https, and room for the "/" a bare host gains.
        json_schema_extra={
            "allOf": [
                {"pattern": "^[hH][tT][tT][pP][sS]://"},
                {"anyOf": [{"maxLength": LOGO_URL_MAX - 1}, {"pattern": "^[^/]*//[^/?#]*/"}]},
            ]
        },
    )
    colour: str = Field(
        default=DEFAULT_COLOUR,
        description="#rrggbb for buttons and links; AA contrast on white",
        json_schema_extra={"pattern": r"^\s*#[0-9a-fA-F]{6}\s*$"},
    )
    copy_overrides: dict[StepKind, CopyOverride] = Field(default_factory=dict)

    @field_validator("sender_name", "sign_off", "signature")
    @classmethod
    def _single_line(cls, value: str) -> str:
        # These reach headers and sign-offs: a newline must never survive.
        return " ".join(value.split())

    @field_validator("logo_url")
    @classmethod
    def _https(cls, value: HttpUrl | None) -> HttpUrl | None:
        if value is not None and value.scheme != "https":
            raise ValueError("logo_url must be an https:// address")
        # Read back, a bare host gains a "/": keep what is stored within the documented length.
        if value is not None and len(str(value)) > LOGO_URL_MAX:
            raise ValueError(f"logo_url must be at most {LOGO_URL_MAX} characters")
        return value

    @field_validator("colour")
    @classmethod
    def _readable(cls, value: str) -> str:
        # Buttons carry white text on this colour, and links are this colour on white:
        # a pale colour would make both unreadable for many teachers.
        value = value.strip().lower()
        if not _HEX.fullmatch(value):
            raise ValueError("colour must be a hex colour like #0b4f9c")
        ratio = contrast_with_white(value)
        if ratio < MIN_CONTRAST:
            raise ValueError(
                f"colour {value} has a contrast of {ratio:.2f}:1 with white; white text on it "
                f"and it as text on white need at least {MIN_CONTRAST}:1 to be readable "
                "(WCAG AA): choose a darker colour"
            )
        return value
