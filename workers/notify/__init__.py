"""Notifications: the notifier following the log, its pure policy, the facts it reads, emails and digests."""
