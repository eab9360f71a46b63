"""The roster service on generated uploads (hypothesis): read_roster refuses only with
TooLarge, and people() either creates everyone on an ok roster or refuses the whole
file with Invalid, naming each bad row: never some of the people."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.errors import Invalid, TooLarge
from services.rosters import MAX_CSV_BYTES, people, read_roster

ROWS = st.lists(
    st.tuples(
        st.text(max_size=20) | st.sampled_from(["Ada Lovelace", "Siân Jones", ""]),
        st.emails() | st.text(max_size=20),
    ),
    max_size=10,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS, st.sampled_from([",", ";", "\t"]))
def test_people_are_all_created_or_the_file_refused(
    rows: list[tuple[str, str]], delimiter: str
) -> None:
    text = "\n".join(
        [f"Name{delimiter}Email"]
        + [f'"{n.replace(chr(34), "")}"{delimiter}"{e.replace(chr(34), "")}"' for n, e in rows]
    )
    roster = read_roster(text.encode())
    try:
        created = people(roster)
    except Invalid as exc:
        assert not roster.ok
        named = {d["field"] for d in exc.fields}
        bad = {f"row {r.row}" for r in roster.rows if r.status == "error"}
        assert named == bad
        return
    assert roster.ok
    assert [(p.name, p.email) for p in created] == [(r.name, r.email) for r in roster.people]


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_any_upload_is_read_or_refused_as_too_large(data: bytes) -> None:
    roster = read_roster(data)
    assert roster.ok == (not roster.problems and all(r.status != "error" for r in roster.rows))


def test_an_upload_over_the_limit_is_refused_as_too_large() -> None:
    with pytest.raises(TooLarge):
        read_roster(b"Name,Email\n" + b"x" * MAX_CSV_BYTES)
