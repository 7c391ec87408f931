"""Write intranet/deadlines/data/cn_holidays.json from the installed `holidays` package.

    .venv/bin/python scripts/cn_holidays.py

The working-day calendar reads the CN public holidays for the years chinese-calendar does not know from
that table rather than from the package (16 MiB in each server process, and only a development
dependency: `pip install -e '.[dev]'`). Run it after upgrading `holidays` (or chinese-calendar);
tests/test_deadlines.py fails until the table matches the package.
"""

import json
import sys
from datetime import date
from pathlib import Path

import holidays

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intranet.deadlines.calendar import TABLE, _chinese_calendar_knows  # noqa: E402


def table_from_holidays() -> dict:
    """The table data/cn_holidays.json holds: for each year `holidays` knows and chinese_calendar does not,
    the public holidays and the make-up working days ("MMDD")."""
    years, weekends = {}, set()
    for year in range(holidays.CN.start_year, holidays.CN.end_year + 1):
        if _chinese_calendar_knows(year):
            continue
        cn = holidays.country_holidays("CN", years=year)
        weekends |= {frozenset(cn._get_weekend(date(year, month, 1))) for month in range(1, 13)}
        years[str(year)] = {
            "holidays": sorted(d.strftime("%m%d") for d in cn if d.year == year),
            "workdays": sorted(d.strftime("%m%d") for d in cn.weekend_workdays if d.year == year),
        }
    if len(weekends) != 1:
        raise RuntimeError(f"CN weekends differ between years ({weekends}): the table has one weekend")
    return {"source": f"holidays {holidays.__version__}", "weekend": sorted(next(iter(weekends))), "years": years}


def main() -> None:
    table = table_from_holidays()
    years = ",\n".join(f"  {json.dumps(year)}: {json.dumps(days)}" for year, days in table["years"].items())
    # One line a year, so that a new release of the package shows in the diff as the years it changed.
    TABLE.write_text(f'{{"source": {json.dumps(table["source"])}, "weekend": {json.dumps(table["weekend"])}, '
                     f'"years": {{\n{years}\n}}}}\n')
    print(f"wrote {TABLE}")


if __name__ == "__main__":
    main()
