"""Complaints: states, the action specs and the lifecycle table built from them, who may do and see what,
the operations that change a complaint, queues, the SLA sweep and the staff pages."""
