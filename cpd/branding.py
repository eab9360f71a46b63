"""How a school's emails look and sound: names, sign-off, logo, and copy overrides.

Validated when a school uploads it, so a bad value is a 422 then, never a
broken email later. Overrides are plain text (rendered escaped, never as
templates), so a school cannot inject markup or template code.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, HttpUrl, field_validator

from cpd.i18n import N_
from cpd.plans import StepKind


class CopyOverride(BaseModel):
    headline: str = Field(default="", max_length=80)
    intro: str = Field(default="", max_length=400, description="A line before the question")

    @field_validator("headline")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())


# Translated for Welsh teachers when left as it is (emails/content.py).
DEFAULT_SIGN_OFF = N_("With thanks,")


class Branding(BaseModel):
    sender_name: str = Field(default="", max_length=80, description="Shown as the From name")
    sign_off: str = Field(default=DEFAULT_SIGN_OFF, max_length=80)
    signature: str = Field(default="", max_length=120, description="e.g. Ms Patel, CPD lead")
    logo_url: HttpUrl | None = Field(default=None, description="https only; shown with alt text")
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
        return value
