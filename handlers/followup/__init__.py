"""Follow-ups until a case is closed (issue 4): SLA reminders and alerts, the callback (回访),
the resident's rating, auto-close, the supervisors' digest and weekly bulletin.

Everything is driven by the database: each case carries `next_due_at` (its earliest pending
timer), the sweep reads due cases by that index, fires what is due, and records each firing on
the case in the same transaction as its outbox rows. See `timers` for the rules.
"""
