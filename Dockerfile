# One image for every app service in docker-compose.yml:
# `pipeline init`, `pipeline serve` (gunicorn when REDIS_URL is set) and `pipeline worker`.
# The pages' assets: GOV.UK Frontend and accessible-autocomplete at the versions
# package-lock.json pins, copied into web/static by the Makefile's own rule.
FROM node:20-slim AS assets
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*
COPY Makefile package.json package-lock.json ./
COPY web/static ./web/static
RUN make assets

# The wheel, built from the same files tests/integration/test_wheel.py builds it from (that
# test installs it outside the checkout and runs it in both modes, so a package or a data
# file the wheel leaves out fails there). README.md is needed: pyproject.toml names it as
# the package's readme.
FROM python:3.11-slim AS wheel
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY projections ./projections
COPY web ./web
COPY --from=assets /src/web/static ./web/static
COPY workers ./workers
RUN pip wheel --no-deps --wheel-dir /dist .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Install the wheel and its dependencies (and its console script `pipeline`) into the
# system Python; no source tree is left in the image.
# PyICU builds against ICU's headers; only the library (libicu72, Debian bookworm) stays.
COPY --from=wheel /dist /dist
RUN apt-get update && apt-get install -y --no-install-recommends libicu72 libicu-dev pkg-config g++ \
    && pip install /dist/pipeline-*.whl && rm -rf /dist \
    && apt-get purge -y --auto-remove libicu-dev pkg-config g++ && rm -rf /var/lib/apt/lists/*

# Run as an unprivileged user. /app is the working directory: the embedded default
# DATABASE_URL (sqlite:///var/pipeline.sqlite3) is relative to it. The home directory
# is where gunicorn puts its control socket.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin pipeline \
    && mkdir -p /app/var \
    && chown -R pipeline:pipeline /app
WORKDIR /app
USER pipeline

# Listen on every interface inside the container (the code's default is 127.0.0.1).
ENV HOST=0.0.0.0 \
    PORT=8000
EXPOSE 8000

CMD ["pipeline", "serve"]
