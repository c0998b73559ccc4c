"""gunicorn's settings for ``pipeline serve`` in production (``--config python:web.gunicorn_conf``).

gunicorn is never published to the internet: nginx (``web/nginx.conf.template``, the
``proxy`` service in docker-compose.yml) buffers each request whole before passing it on,
so a slow client costs nginx a connection, never a gunicorn thread. These settings keep
gunicorn sound behind it, and when reached directly on the private network:

- every log record is redacted (``workers.adapters.log_redaction``): the access log's
  request line and Referer carry the tokens of emailed links;
- ``timeout``: a worker silent for this long is killed and replaced;
- ``keepalive``: an idle keep-alive connection is closed after a few seconds;
- ``limit_request_*``: request lines and headers of sane sizes only."""

from __future__ import annotations

from workers.adapters.log_redaction import install

install()  # in the master; forked workers inherit it (create_app installs it again, harmlessly)

timeout = 30
graceful_timeout = 20
keepalive = 5
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# nginx in front sets X-Forwarded-For; gunicorn's access log then names the client, not nginx.
access_log_format = '%({x-forwarded-for}i)s %(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
