"""Every official AsyncAPI example document goes through the whole spec layer.

Valid documents load; the two that cannot be loaded without breaking a rule of ours are refused
with a located message: one refers to a remote URL (asynction never fetches), one has a `$ref`
that points nowhere in the upstream file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from asynction.exceptions import SpecError
from asynction.spec import load_spec

OFFICIAL = Path(__file__).parent / "official"
REFUSED = {
    "2.6.0/for-3.0.0.yml": "never fetches remote references",
    "2.6.0/for-3.0.0-with-servers-and-channels-components.yml": (
        "'/components/schemas/lightMeasuredPayload' does not exist"
    ),
}
VALID = sorted(
    path for path in OFFICIAL.glob("[23].*/*") if path.suffix in {".yml", ".yaml", ".json"}
)
INVALID = sorted(path for path in (OFFICIAL / "invalid").iterdir() if path.suffix != ".md")


@pytest.mark.parametrize("path", VALID, ids=lambda path: str(path.relative_to(OFFICIAL)))
def test_valid_official_example_loads(path: Path) -> None:
    name = str(path.relative_to(OFFICIAL))
    if name in REFUSED:
        with pytest.raises(SpecError, match=REFUSED[name]) as caught:
            load_spec(path)
        assert str(path) in str(caught.value)
        return
    api = load_spec(path)
    assert api.asyncapi_version == path.parent.name
    assert api.title


@pytest.mark.parametrize("path", INVALID, ids=lambda path: path.name)
def test_invalid_official_example_is_refused(path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert f"{path}#/" in str(caught.value)


def test_there_are_examples_of_every_version() -> None:
    versions = {path.parent.name for path in VALID}
    assert versions >= {"2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0", "2.5.0", "2.6.0", "3.0.0"}
