"""Processes that follow the log: goals decided at their deadline, reminders and nudges, erasure."""
