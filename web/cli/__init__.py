"""The ``pipeline`` command: one module per command group, registered in main."""
