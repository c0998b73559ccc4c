"""The JSON API: app factory, one blueprint per resource, schemas, errors, CLI."""
