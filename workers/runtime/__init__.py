"""The runtime: settings, the one bootstrap, job dispatch, the RQ worker and the log followers."""
