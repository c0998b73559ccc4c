"""The guards every request passes: auth, the input door, headers, limits, idempotency, errors."""
