"""The notices each kind of event gives rise to, one module per subject."""
