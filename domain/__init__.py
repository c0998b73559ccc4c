"""Pipeline's domain: aggregates, their events and guards, and the Application.

Nothing here imports infrastructure (Flask, RQ, psycopg); the composition root in
``workers.runtime.bootstrap`` wires the persistence module in through the environment.
"""
