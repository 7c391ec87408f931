"""Deadlines (SPEC §4): the working-day calendar, the deadline policy and the SLA sweep."""
