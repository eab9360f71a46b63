"""The API's OpenAPI document: examples a school's developer can copy, and one error shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from api.app import create_app
from api.errors import ErrorBody
from cpd.settings import Settings
from services.schemas import (
    EmailChange,
    EventCreate,
    EventStatus,
    ImpactSummary,
    ParticipantsAdd,
    PauseRequest,
)

EXAMPLED: list[type[BaseModel]] = [
    EventCreate,
    ParticipantsAdd,
    PauseRequest,
    EmailChange,
    EventStatus,
    ImpactSummary,
    ErrorBody,
]


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = Settings(environment="test", data_dir=Path(tmp_path_factory.mktemp("openapi")))
    return create_app(settings).openapi()


@pytest.mark.parametrize("model", EXAMPLED, ids=lambda m: m.__name__)
def test_the_documented_examples_are_valid(openapi: dict[str, Any], model: type[BaseModel]) -> None:
    schema = openapi["components"]["schemas"][model.__name__]
    assert schema.get("examples"), f"{model.__name__} has no example in the OpenAPI document"
    for example in schema["examples"]:
        model.model_validate(example)  # an example that drifted from its model fails here


def test_every_error_response_has_the_one_error_shape(openapi: dict[str, Any]) -> None:
    documented = 0
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            for code, response in operation.get("responses", {}).items():
                if code.startswith(("4", "5")):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorBody"), f"{method.upper()} {path} {code}: {ref}"
                    documented += 1
    assert documented > 20
