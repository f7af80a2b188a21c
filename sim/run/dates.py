"""Trading dates of a run: with ``meta.start_date`` set, day d is the d-th NYSE trading day from it.

The calendar is the New York Stock Exchange's (``XNYS``) from the ``exchange_calendars``
package: weekends, holidays and the unscheduled closures (9-13 September 2001, Hurricane Sandy
in 2012, national days of mourning) are not trading days. A scenario without a start date has
no dates: its time series has no ``date`` column.
"""

from __future__ import annotations

import datetime
import functools
import warnings

import pandas as pd

from sim.config.scenario import ScenarioError

CALENDAR = "XNYS"
"""The exchange whose trading days number a run's days."""
LAST_DATE = datetime.date(2200, 12, 31)
"""No run is dated past this day (pandas' timestamps end in 2262)."""


@functools.lru_cache(maxsize=32)
def trading_days(start: str, days: int) -> pd.DatetimeIndex:
    """The first ``days`` NYSE trading days from ``start`` (day 0 = ``start``).

    Parameters
    ----------
    start : str
        An NYSE trading day, YYYY-MM-DD (``meta.start_date``).
    days : int
        How many days (``simulation.days``).

    Returns
    -------
    pandas.DatetimeIndex
        ``days`` dates without a time of day or time zone.

    Raises
    ------
    ScenarioError
        ``start`` is not an NYSE trading day (the message names the nearest ones), or the run
        would end after :data:`LAST_DATE`.
    """
    import exchange_calendars  # 0.6 s to import: loaded only when a scenario has a start date

    first = pd.Timestamp(start)
    end = min(first + pd.Timedelta(days=int(1.5 * days) + 14), pd.Timestamp(LAST_DATE))
    with warnings.catch_warnings():  # exchange_calendars 4.13 uses what pandas 3 deprecates (Series.values)
        warnings.simplefilter("ignore", pd.errors.PandasDeprecationWarning)
        calendar = exchange_calendars.get_calendar(CALENDAR, start=first - pd.Timedelta(days=14), end=end)
    sessions = calendar.sessions
    if not calendar.is_session(first):
        before, after = sessions[sessions < first][-1].date(), sessions[sessions > first][0].date()
        why = f"a {first.day_name()}" if first.day_of_week >= 5 else "a day the exchange was closed"
        raise ScenarioError(f"meta.start_date = {start!r}: must be an NYSE trading day ({why}); the nearest "
                            f"are {before} and {after}",
                            field="meta.start_date", allowed="an NYSE trading day")
    dated = sessions[sessions >= first][:days]
    if len(dated) < days:
        raise ScenarioError(f"simulation.days = {days}: with meta.start_date = {start!r} the run would end after "
                            f"{LAST_DATE}; must be at most {len(dated)}", field="simulation.days",
                            allowed=f"at most {len(dated)}")
    return pd.DatetimeIndex(dated, name="date", freq=None)
