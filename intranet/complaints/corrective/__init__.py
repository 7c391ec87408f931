"""Corrective actions (整改措施): what the hospital does so a complaint's cause does not recur, as records of
their own — an owner department, a due date, evidence it was done, and a later check that it worked
(plan, do, check, act).

Raised from a complaint's findings (and linked to every complaint it answers) or from the monthly analysis.
Each step is one spec in `steps.py`, like the complaint's actions; `permissions.can()` decides who may take
it and `operations.perform()` is the one writer of its status.
"""
