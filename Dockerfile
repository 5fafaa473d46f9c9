# escalation-sync: one image for every role (worker, beat, sync-once, sandbox).
#
#   docker build -t escalation-sync .
#   docker run --rm --env-file .env escalation-sync sync-once
#
# docker-compose.yml runs the worker and beat from this image with `celery` as entrypoint.

# --- build: wheels for the project and its dependencies -------------------------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# only what the package is built from (pyproject: rules*, connectors*, sync*, sandbox*,
# celeryconfig); tests, docs and local files stay out (see also .dockerignore)
COPY pyproject.toml README.md celeryconfig.py ./
COPY rules ./rules
COPY connectors ./connectors
COPY sync ./sync
COPY sandbox ./sandbox
RUN pip wheel --wheel-dir /wheels .

# --- runtime ------------------------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home \
            --shell /usr/sbin/nologin app
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels escalation-sync \
 && rm -rf /wheels
# never root at run time; the home directory holds celery beat's schedule file
USER app
WORKDIR /home/app
ENTRYPOINT ["escalation-sync"]
CMD ["--help"]
