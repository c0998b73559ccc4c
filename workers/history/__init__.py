"""Bulk history tools: the legacy import, the events transfer and the demo story."""
