"""Write intranet/deadlines/data/cn_holidays.json from the installed `holidays` package.

    .venv/bin/python scripts/cn_holidays.py

The working-day calendar reads the CN public holidays for the years chinese-calendar does not know from
that table rather than from the package (16 MiB in each server process). Run it after upgrading
`holidays` (or chinese-calendar); tests/test_deadlines.py fails until the table matches the package.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intranet.deadlines.calendar import TABLE, table_from_holidays  # noqa: E402

table = table_from_holidays()
years = ",\n".join(f"  {json.dumps(year)}: {json.dumps(days)}" for year, days in table["years"].items())
# One line a year, so that a new release of the package shows in the diff as the years it changed.
TABLE.write_text(f'{{"source": {json.dumps(table["source"])}, "weekend": {json.dumps(table["weekend"])}, '
                 f'"years": {{\n{years}\n}}}}\n')
print(f"wrote {TABLE}")
