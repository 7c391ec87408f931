"""The administrator's pages and commands: deadline policy, working-day calendar, the outbox, accounts."""
