"""Property tests: the NIR key (Corsica included), dates, and the exam-month calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from intake.config import Config
from intake.sheetvalues import Calendar, parse_date, parse_nir

BODIES = st.from_regex(r"[12][0-9]{4}(?:[0-9]{2}|2A|2B)[0-9]{6}", fullmatch=True)
CALENDAR = Calendar(Config().deadline)
SESSION_MONTHS = {month for entry in Config().deadline for month in entry.months}


def spec_key(body: str) -> int:
    """The SPEC's key, written out independently: 97 - (13 digits mod 97), 2A→19, 2B→18."""
    digits = body[:5] + {"2A": "19", "2B": "18"}.get(body[5:7], body[5:7]) + body[7:]
    return 97 - int(digits) % 97


@given(BODIES)
def test_the_right_key_is_accepted(body: str) -> None:
    nir = f"{body}{spec_key(body):02d}"
    normalised, problem = parse_nir(nir)
    assert problem is None
    assert normalised == nir
    # Spaced as on a carte Vitale, it is the same NIR.
    spaced = " ".join([nir[:1], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:]])
    assert parse_nir(spaced) == (nir, None)


@given(BODIES, st.integers(min_value=0, max_value=99))
def test_any_other_key_is_rejected(body: str, key: int) -> None:
    assume(key != spec_key(body))
    normalised, problem = parse_nir(f"{body}{key:02d}")
    assert problem == "NIR invalide (clé de contrôle incorrecte)"


@given(st.from_regex(r"[12][0-9]{12}", fullmatch=True))
def test_a_nir_typed_as_a_number_is_read_whole(body: str) -> None:
    nir = f"{body}{spec_key(body):02d}"
    assert parse_nir(float(nir)) == (nir, None)


@given(st.from_regex(r"[12][0-9]{4}2[AB][0-9]{6}", fullmatch=True))
def test_corsica_keys_differ_from_the_department_20_key(body: str) -> None:
    as_twenty = body[:5] + "20" + body[7:]
    # The letters count 19 or 18, never 20: the key of "20" would be wrong for 2A/2B.
    assert spec_key(body) != spec_key(as_twenty)
    assert parse_nir(f"{body}{spec_key(as_twenty):02d}")[1] is not None


@given(st.dates(min_value=date(1930, 1, 1), max_value=date(2035, 12, 31)))
def test_dates_read_the_same_in_every_written_form(day: date) -> None:
    serial = (day - date(1899, 12, 30)).days
    forms = [
        day,
        datetime(day.year, day.month, day.day, 10, 30),
        f"{day:%d/%m/%Y}",
        f"{day.day}/{day.month}/{day:%Y}",
        f"{day:%Y-%m-%d}",
        f"{day:%Y-%m-%d} 00:00:00",
        float(serial),
        str(serial),
    ]
    for form in forms:
        assert parse_date(form) == day, form


@given(
    st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31)),
    st.integers(min_value=0, max_value=800),
)
def test_exam_month_is_monotonic(first: date, gap: int) -> None:
    second = first + timedelta(days=gap)
    month_1, month_2 = CALENDAR.exam_month(first), CALENDAR.exam_month(second)
    if month_1 is None:
        # Past the calendar's last session: every later date is past it too.
        assert month_2 is None
    elif month_2 is not None:
        assert month_1 <= month_2


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
def test_exam_month_is_the_first_session_on_or_after(day: date) -> None:
    month = CALENDAR.exam_month(day)
    own = f"{day:%Y-%m}"
    later = sorted(m for m in SESSION_MONTHS if m >= own)
    if own < min(SESSION_MONTHS):
        assert month == min(SESSION_MONTHS)
    elif later:
        assert month == later[0]
    else:
        assert month is None
    if month is not None:
        assert month in SESSION_MONTHS
