"""What leadership reads and the archive keeps: KPIs, the monthly analysis, exports (SPEC §7).

Everything here is read-only and computed by SQL aggregates in the database; which complaints a reader
counts comes from `complaints.permissions.visible()`, the same rule as the pages.
"""
