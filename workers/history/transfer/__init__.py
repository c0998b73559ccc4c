"""Moving the event log between installations: export, reading a file, loading it."""
