"""Running projections: the composition root, RQ jobs and workers, and the inline
alternative used when no Redis is configured."""
