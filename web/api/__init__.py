"""The JSON API: one module per resource with its schemas."""
