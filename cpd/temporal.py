"""Connecting to Temporal, the same way everywhere."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from cpd.settings import Settings


async def connect(settings: Settings) -> Client:
    # Workflow inputs and results are pydantic models throughout.
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )
