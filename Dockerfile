# syntax=docker/dockerfile:1
# The DeepFix server image: `deepfix serve` by default; the same image runs `deepfix worker` and
# `mlflow server` (docker-compose.yml runs all three with Redis and PostgreSQL).
#
#   docker build -t deepfix-notebook .
#   docker run --rm -p 127.0.0.1:8000:8000 -e DEEPFIX_API_KEY=... \
#       -e DEEPFIX_ALLOWED_TRACKING_URIS=http://mlflow.example:5000 deepfix-notebook

ARG PYTHON_VERSION=3.11

# --- build: the wheel alone -------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim AS build
# The JupyterLab extension (npm) is not needed by a server: no Node.js in the image.
ENV SKIP_JUPYTER_BUILDER=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY deepfix_notebook ./deepfix_notebook
RUN pip wheel --no-deps --wheel-dir /wheels .

# --- runtime ----------------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MLFLOW_DISABLE_TELEMETRY=true \
    DEEPFIX_HOME=/data/deepfix

# server: FastAPI + uvicorn; worker: Celery + Redis; postgres: the job store's driver;
# mlflow: the MLflow client and `mlflow server`. No torch: the server does not train.
COPY --from=build /wheels /tmp/wheels
RUN pip install "$(ls /tmp/wheels/deepfix_notebook-*.whl)[server,worker,postgres,mlflow]" \
    && rm -rf /tmp/wheels

# An unprivileged user; /data (job store, MLflow files) is its own, so named volumes mounted
# there start out writable by it.
RUN useradd --create-home --uid 10001 --user-group deepfix \
    && mkdir -p /data/deepfix \
    && chown -R deepfix:deepfix /data
USER deepfix
WORKDIR /home/deepfix

EXPOSE 8000
# Liveness: the health route answers (it is the one route that needs no API key).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=4)"]
# Inside a container the server must listen on all of the container's interfaces (0.0.0.0):
# 127.0.0.1 there is the container's own loopback, which published ports and other containers
# cannot reach. Which host interfaces see it is decided by `-p` / `ports:` (docker-compose.yml
# publishes on the host's 127.0.0.1 only). Set DEEPFIX_API_KEY whenever it is reachable.
CMD ["deepfix", "serve", "--host", "0.0.0.0", "--port", "8000"]
