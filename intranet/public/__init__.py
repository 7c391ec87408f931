"""The public side (SPEC §6): landing, the complaint form, confirmation, tracking and the online follow-up."""
