"""The demo: a seeded story of councils, suppliers and projects written through the commands."""
