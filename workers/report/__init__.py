"""The lessons-learned report on engagement, computed from the event log (never from the
read models), so its figures equal those of a from-scratch replay."""
