# Agentgraph in production: `docker build -t agentgraph .` (see README, "Running in production").
# Build stage: the locked install of `make install` (uv, uv.lock, --frozen), without the dev group.
FROM python:3.12-slim AS build
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_PROJECT_ENVIRONMENT=/app/.venv UV_LINK_MODE=copy
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
# Dependencies first: a layer that changes only when uv.lock does.
RUN uv sync --frozen --no-dev --no-install-project --compile-bytecode
COPY agentgraph agentgraph
COPY gql gql
COPY usecases usecases
COPY store store
COPY domain domain
COPY migrations migrations
COPY web web
RUN uv sync --frozen --no-dev --compile-bytecode

# Run stage: the virtualenv and the sources it points at (the dashboard's files beside them),
# as a user without privileges.
FROM python:3.12-slim
RUN useradd --create-home --uid 10001 agentgraph
WORKDIR /app
COPY --from=build /app /app
USER agentgraph
ENV PATH=/app/.venv/bin:$PATH \
    AGENTGRAPH_ENV=production \
    AGENTGRAPH_DATA_DIR=/home/agentgraph/data
EXPOSE 8000
STOPSIGNAL SIGTERM
CMD ["agentgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
