"""Dockerfile, docker-compose.yml and .dockerignore, read against the code they deploy (no Docker
engine runs here): every DEEPFIX_* variable is a `Settings` field and parses, the commands are
real `deepfix` (and `mlflow server`) command lines, ports and host names line up, and the extras
the image installs exist."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from deepfix_notebook import cli
from deepfix_notebook.server import Settings, create_app

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "DEEPFIX_"
# DEEPFIX_* variables that are not server settings, and what reads them.
NOT_SETTINGS = {"DEEPFIX_HOME"}  # deepfix_notebook.artifacts.deepfix_home()
DEEPFIX_SERVICES = ("server", "worker")
# ${NAME}, ${NAME:-default}, ${NAME:?message}: compose's interpolation
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?::?[-?](?P<rest>[^}]*))?\}")


# --------------------------------------------------------------------------- parsing


def dockerfile() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` of the final stage, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text()
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    instructions = [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in logical]
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def instruction(name: str) -> list[str]:
    return [args for key, args in dockerfile() if key == name]


def exec_form(args: str) -> list[str]:
    """A JSON-array (exec form) CMD / HEALTHCHECK CMD."""
    words = json.loads(args)
    assert isinstance(words, list) and all(isinstance(w, str) for w in words), args
    return words


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in instruction("ENV"):
        for word in shlex.split(args):
            key, sep, value = word.partition("=")
            assert sep, f"ENV {args!r}: use the KEY=value form"
            env[key] = value
    return env


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict) and "services" in data
    return data


def service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    services = compose["services"]
    assert name in services, f"docker-compose.yml has no service {name!r}"
    value: dict[str, Any] = services[name]
    return value


def environment(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def interpolate(value: str) -> str:
    """``value`` as compose would give it with every secret set to ``secret``."""
    return INTERPOLATION.sub("secret", value)


def parse_deepfix(command: list[str]) -> argparse.Namespace:
    assert command[0] == "deepfix", command
    try:
        return cli._parser().parse_args(command[1:])
    except SystemExit as exc:
        pytest.fail(f"`{shlex.join(command)}` is not a valid deepfix command line ({exc})")


def container_ports(svc: dict[str, Any]) -> set[int]:
    """Container ports the service publishes (``host_ip:host:container`` strings)."""
    return {int(str(mapping).rsplit(":", 1)[-1]) for mapping in svc.get("ports", [])}


def healthcheck_url(words: list[str]) -> str:
    found = re.search(r"https?://[^'\"\s]+", " ".join(words))
    assert found, f"no URL in the healthcheck {words}"
    return found.group(0)


def settings_fields() -> set[str]:
    prefix = Settings.model_config.get("env_prefix")
    assert prefix == PREFIX
    return {PREFIX + name.upper() for name in Settings.model_fields}


# --------------------------------------------------------------------------- Dockerfile


def test_image_installs_existing_extras() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = set(pyproject["project"]["optional-dependencies"])
    installs = [args for args in instruction("RUN") if "pip install" in args]
    assert installs, "the runtime stage installs nothing"
    named = re.findall(r"\[([a-z0-9_,-]+)\]", " ".join(installs))
    assert named, "the image installs the package without extras"
    wanted = {extra for group in named for extra in group.split(",")}
    assert wanted == {"server", "worker", "postgres", "mlflow"}
    assert wanted <= extras, f"extras missing from pyproject.toml: {wanted - extras}"


def test_image_runs_deepfix_serve_as_a_non_root_user_on_its_exposed_port() -> None:
    users = instruction("USER")
    assert users, "the image runs as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    names = [name for name, _ in dockerfile()]
    assert names.index("USER") < names.index("CMD")
    (cmd,) = instruction("CMD")
    args = parse_deepfix(exec_form(cmd))
    assert args.handler is cli._serve
    assert args.host == "0.0.0.0"  # reachable through published ports (see the comment there)
    assert [int(p.split("/")[0]) for p in instruction("EXPOSE")] == [args.port]


def test_image_healthcheck_asks_the_health_route_on_the_served_port(tmp_path: Path) -> None:
    (check,) = instruction("HEALTHCHECK")
    options, _, command = check.partition("CMD ")
    assert "--interval" in options
    words = exec_form(command)
    url = urlsplit(healthcheck_url(words))
    args = parse_deepfix(exec_form(instruction("CMD")[0]))
    assert (url.hostname, url.port) == ("127.0.0.1", args.port)
    app = create_app(Settings(job_store_url=f"sqlite:///{tmp_path / 'jobs.db'}"))
    assert "get" in app.openapi()["paths"].get(url.path, {}), f"no GET {url.path} route"
    assert words[:2] == ["python", "-c"]
    compile(words[2], "<healthcheck>", "exec")  # the probe is valid Python


def test_image_environment_is_read_by_the_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from deepfix_notebook.artifacts import deepfix_home

    env = dockerfile_env()
    names = {name for name in env if name.startswith(PREFIX)}
    assert names <= settings_fields() | NOT_SETTINGS, names - settings_fields() - NOT_SETTINGS
    monkeypatch.setenv("DEEPFIX_HOME", env["DEEPFIX_HOME"])
    assert deepfix_home() == Path(env["DEEPFIX_HOME"])


def test_build_context_keeps_what_the_build_copies() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*", ".dockerignore should start from nothing and add what is needed"
    included = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    build_stage = (ROOT / "Dockerfile").read_text().split("\nFROM ")[1]
    copies = re.findall(r"^COPY (?!--from)(.+)$", build_stage, flags=re.MULTILINE)
    sources = {src for line in copies for src in line.split()[:-1]}
    assert sources, "the build stage copies nothing"
    for src in sources:
        assert (ROOT / src).exists(), f"COPY {src}: no such file"
        assert src.rstrip("/") in included, f"COPY {src} but .dockerignore leaves it out"


# --------------------------------------------------------------------------- compose


def test_compose_deepfix_variables_are_settings_that_parse(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = settings_fields()
    for name in DEEPFIX_SERVICES:
        env = environment(service(compose, name))
        deepfix_vars = {k: v for k, v in env.items() if k.startswith(PREFIX)}
        unknown = set(deepfix_vars) - fields
        assert not unknown, f"{name}: not Settings fields: {sorted(unknown)}"
        for key in [k for k in os.environ if k.startswith(PREFIX)]:
            monkeypatch.delenv(key)
        for key, value in deepfix_vars.items():
            monkeypatch.setenv(key, interpolate(value))
        settings = Settings()  # raises if a value does not parse
        assert settings.broker_url == "redis://redis:6379/0"
        assert settings.redis_url == "redis://redis:6379/1"
        assert settings.allowed_tracking_uris == ["http://mlflow:5000"]
        assert settings.api_key == "secret"  # from .env, required
        assert settings.job_store_url.startswith("postgresql+psycopg://")


def test_compose_secrets_are_required_not_defaulted(compose: dict[str, Any]) -> None:
    for name in (*DEEPFIX_SERVICES, "postgres"):
        for key, value in environment(service(compose, name)).items():
            if "API_KEY" in key or "PASSWORD" in key:
                assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", value), f"{name}.{key}: {value!r}"


def test_compose_commands_are_deepfix_subcommands(compose: dict[str, Any]) -> None:
    server = parse_deepfix(service(compose, "server")["command"])
    assert server.handler is cli._serve
    assert server.host == "0.0.0.0"
    assert container_ports(service(compose, "server")) == {server.port}
    (dockerfile_cmd,) = instruction("CMD")
    assert parse_deepfix(exec_form(dockerfile_cmd)).port == server.port  # the image's healthcheck

    worker_svc = service(compose, "worker")
    worker = parse_deepfix(worker_svc["command"])
    assert worker.handler is cli._worker
    # `docker compose up --scale worker=N`: nothing that only one container can have
    assert "container_name" not in worker_svc and not worker_svc.get("ports")
    assert worker_svc.get("healthcheck", {}).get("disable") is True  # the image's probes :8000


def test_compose_urls_name_services_and_their_ports(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    env = {k: interpolate(v) for k, v in environment(service(compose, "server")).items()}
    for key in ("DEEPFIX_BROKER_URL", "DEEPFIX_REDIS_URL"):
        url = urlsplit(env[key])
        assert (url.scheme, url.hostname, url.port) == ("redis", "redis", 6379), key
    redis = service(compose, "redis")
    assert "redis-server" in redis["command"]
    # Queued messages survive a restart of Redis (issue 17), in a volume of their own.
    assert redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])

    store = sa.engine.make_url(env["DEEPFIX_JOB_STORE_URL"])
    assert store.drivername == "postgresql+psycopg"  # psycopg 3: the `postgres` extra
    postgres = environment(service(compose, "postgres"))
    assert (store.host, store.port) == ("postgres", 5432)
    assert store.username == postgres["POSTGRES_USER"]
    assert store.database == postgres["POSTGRES_DB"]
    assert store.password == interpolate(postgres["POSTGRES_PASSWORD"])

    (tracking,) = env["DEEPFIX_ALLOWED_TRACKING_URIS"].split(",")
    tracking_url = urlsplit(tracking)
    assert tracking_url.hostname == "mlflow"
    mlflow_svc = service(compose, "mlflow")
    mlflow_port = mlflow_server_params(mlflow_svc["command"])["port"]
    assert tracking_url.port == mlflow_port
    assert container_ports(mlflow_svc) == {mlflow_port}
    health = urlsplit(healthcheck_url(mlflow_svc["healthcheck"]["test"]))
    assert (health.port, health.path) == (mlflow_port, "/health")

    # MLflow refuses requests whose Host it does not know (403), health excepted
    from mlflow.server.security_utils import get_allowed_hosts_from_env, is_allowed_host_header

    monkeypatch.setenv(
        "MLFLOW_SERVER_ALLOWED_HOSTS", environment(mlflow_svc)["MLFLOW_SERVER_ALLOWED_HOSTS"]
    )
    allowed = get_allowed_hosts_from_env()
    assert allowed is not None
    assert is_allowed_host_header(allowed, tracking_url.netloc)
    assert is_allowed_host_header(allowed, f"localhost:{mlflow_port}")  # the published port


def mlflow_server_params(command: list[str]) -> dict[str, Any]:
    """The options of an ``mlflow server`` command line, validated by MLflow's own CLI."""
    import click
    from mlflow.cli import server

    assert command[:2] == ["mlflow", "server"], command
    try:
        params: dict[str, Any] = server.make_context("server", list(command[2:])).params
    except click.UsageError as exc:
        pytest.fail(f"`{shlex.join(command)}`: {exc}")
    return params


def test_compose_mlflow_server_runs_from_the_image_with_files_in_its_volume(
    compose: dict[str, Any],
) -> None:
    import mlflow.environment_variables as mlflow_env

    mlflow_svc = service(compose, "mlflow")
    params = mlflow_server_params(mlflow_svc["command"])
    assert params["host"] == "0.0.0.0"
    assert params["workers"] in (1, "1")
    assert params["serve_artifacts"]  # runs' artifacts go through the server: mlflow-artifacts:/
    (volume,) = mlflow_svc["volumes"]
    name, mount = volume.split(":")[:2]
    assert name in compose["volumes"]
    assert params["backend_store_uri"] == f"sqlite:///{mount}/mlflow.db"
    assert params["artifacts_destination"].startswith(mount + "/")
    assert mlflow_svc["image"] == service(compose, "server")["image"]  # the `mlflow` extra
    for key in environment(mlflow_svc):
        assert hasattr(mlflow_env, key), f"{key} is not an MLflow environment variable"


def test_compose_services_wait_for_healthy_dependencies(compose: dict[str, Any]) -> None:
    for name in DEEPFIX_SERVICES:
        depends = service(compose, name)["depends_on"]
        assert set(depends) == {"redis", "postgres", "mlflow"}, name
        for dependency, rule in depends.items():
            assert rule == {"condition": "service_healthy"}, (name, dependency)
            check = service(compose, dependency)["healthcheck"]
            assert check["test"] and not check.get("disable"), dependency
        assert service(compose, name)["image"] == "deepfix-notebook:latest"
        assert service(compose, name)["build"] == "."
    for svc in compose["services"].values():
        for volume in svc.get("volumes", []):
            assert volume.split(":")[0] in compose["volumes"], volume
