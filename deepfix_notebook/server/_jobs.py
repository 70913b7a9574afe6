"""The job store: every accepted analysis, in a SQL database (SQLAlchemy 2, SQLite by default).

A job is committed before it is acknowledged. Jobs belong to the server process (``owner``)
that holds them; an owner marks its jobs alive every few seconds (``heartbeat``), and any
server sharing the store takes over the jobs of an owner that went silent: queued jobs are run
again, running ones re-queued once and then failed, so no accepted job is silently lost. Writes
by a runner name its ``attempt``: a runner that was given up on cannot overwrite a newer run.
A queued job also records when it was last handed to the executor (``dispatched_at``), so a
job whose message a broker lost can be found and sent again (`take_undispatched`).

A database that cannot be written (its disk full, or not answering) raises `JobStoreUnavailable`:
nothing was written, the caller answers 503 or tries again.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from deepfix_notebook.contract import (
    AnalysisRequest,
    AnalysisResult,
    ErrorCode,
    ErrorResponse,
    JobState,
    JobStatus,
)

MAX_ATTEMPTS = 2
"""A job is started at most this often: once, and once more after a server stopped under it."""

JOB_STORE_SETTING = "DEEPFIX_JOB_STORE_URL"
_SQLITE_FULL = 13  # sqlite3.Error.sqlite_errorcode: "database or disk is full"
_PG_DISK_FULL = "53100"  # PostgreSQL's SQLSTATE disk_full

IN_FLIGHT = (JobState.QUEUED, JobState.RUNNING)
FINISHED = (JobState.COMPLETED, JobState.PARTIAL, JobState.FAILED)


class _Utc(sa.types.TypeDecorator[datetime]):
    """An aware UTC datetime, stored naive (SQLite keeps no zone)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = sa.MetaData()
jobs = sa.Table(
    "deepfix_jobs",
    metadata,
    sa.Column("request_id", sa.String(64), primary_key=True),
    sa.Column("run_id", sa.String(256), nullable=False),
    sa.Column("tracking_uri", sa.Text, nullable=False),
    sa.Column("request", sa.Text, nullable=False),
    # Equal for identical analyses; set while queued/running only, so the unique index makes
    # "one in-flight job per analysis" hold across processes (NULLs never collide).
    sa.Column("inflight_key", sa.String(64), unique=True, nullable=True),
    sa.Column("correlation_id", sa.String(128), nullable=True),
    sa.Column("backend", sa.Text, nullable=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("progress", sa.Float, nullable=False, default=0.0),
    sa.Column("agents_done", sa.Integer, nullable=False, default=0),
    sa.Column("submitted_at", _Utc, nullable=False),
    sa.Column("started_at", _Utc, nullable=True),
    sa.Column("finished_at", _Utc, nullable=True, index=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("result", sa.Text, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("owner", sa.String(256), nullable=True, index=True),
    sa.Column("heartbeat_at", _Utc, nullable=True),
    # When the job was last sent to the executor: a queued job past its lease may be lost.
    sa.Column("dispatched_at", _Utc, nullable=True),
)


def analysis_key(request: AnalysisRequest, tracking_uri: str) -> str:
    """Identity of an analysis: run, store, options and context (hex SHA-256)."""
    text = json.dumps(
        {
            "run_id": request.run_id,
            "tracking_uri": tracking_uri,
            "options": request.analysis_options.model_dump(mode="json"),
            "context": request.context.model_dump(mode="json"),
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def new_owner() -> str:
    """A name for this server instance: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


def _owner_is_dead(owner: str | None) -> bool:
    """True when ``owner`` was a process of this host that no longer exists."""
    if owner is None:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists but not ours
        return False
    return False


class JobStoreUnavailable(Exception):
    """The job store did not take a write (or a read): ``full`` when its disk has no space
    left. Nothing was written; the same call may succeed later."""

    def __init__(self, message: str, *, full: bool, store: str) -> None:
        super().__init__(message)
        self.full = full
        self.store = store


def _unavailable(url: str, exc: OperationalError) -> JobStoreUnavailable:
    kind = sa.engine.make_url(url).get_backend_name()
    original = exc.orig
    full = (
        getattr(original, "sqlite_errorcode", None) == _SQLITE_FULL
        or getattr(original, "sqlstate", getattr(original, "pgcode", None)) == _PG_DISK_FULL
        or "disk is full" in str(original)
    )
    reason = "its disk is full" if full else f"it failed: {str(original)[:200]}"
    return JobStoreUnavailable(
        f"The job store ({kind}, {JOB_STORE_SETTING}) cannot be written: {reason}.",
        full=full,
        store=kind,
    )


@dataclass(frozen=True)
class Job:
    """One row of the store."""

    request_id: str
    run_id: str
    tracking_uri: str
    request: AnalysisRequest
    status: JobState
    submitted_at: datetime
    correlation_id: str | None = None
    backend: str | None = None
    progress: float = 0.0
    agents_done: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: ErrorResponse | None = None
    result: AnalysisResult | None = None
    attempts: int = 0
    owner: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def to_status(self) -> JobStatus:
        """The contract's view of this job; ``error`` says why a failed job failed."""
        error = None if self.error is None else self.error.message
        if error is None and self.status is JobState.FAILED and self.result is not None:
            error = self.result.summary or "Nothing could be analysed."
        return JobStatus(
            request_id=self.request_id,
            run_id=self.run_id,
            status=self.status,
            progress=self.progress,
            agents_done=self.agents_done,
            submitted_at=self.submitted_at,
            started_at=self.started_at,
            finished_at=self.finished_at,
            error=error,
        )


@dataclass(frozen=True)
class InFlight:
    """Jobs not finished: queued, running with a live heartbeat, and running but silent."""

    queued: int
    running: int
    silent: int


@dataclass(frozen=True)
class Recovery:
    """What `JobStore.recover` did: jobs to run again here, and jobs given up on."""

    to_run: list[str]
    failed: list[str]


class JobStore(Protocol):
    """Where jobs live. `SqlJobStore` is the one implementation; any SQLAlchemy URL works."""

    @property
    def kind(self) -> str: ...

    def open(self) -> None: ...

    def close(self) -> None: ...

    def ping(self) -> None: ...

    def create(self, job: Job, key: str) -> tuple[Job, bool]: ...

    def discard(self, request_id: str) -> bool: ...

    def find_in_flight(self, key: str) -> Job | None: ...

    def get(self, request_id: str) -> Job | None: ...

    def claim(self, request_id: str, owner: str) -> Job | None: ...

    def set_progress(
        self, request_id: str, attempt: int, agents_done: int, progress: float
    ) -> None: ...

    def finish(
        self,
        request_id: str,
        attempt: int,
        *,
        result: AnalysisResult | None = None,
        error: ErrorResponse | None = None,
    ) -> bool: ...

    def heartbeat(self, owner: str) -> int: ...

    def in_flight(self, stale_after: float) -> InFlight: ...

    def take_undispatched(self, lease_seconds: float, limit: int) -> list[str]: ...

    def recover(self, owner: str, stale_after: float) -> Recovery: ...

    def purge(self, ttl_seconds: float) -> int: ...

    def count_by_state(self) -> dict[JobState, int]: ...


class SqlJobStore:
    """The job store in any database SQLAlchemy speaks; SQLite files get WAL mode."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def kind(self) -> str:
        return sa.engine.make_url(self.url).get_backend_name()

    def open(self) -> None:
        """Connect and create the table if needed."""
        with self._lock:
            if self._engine is None:
                engine = _create_engine(self.url)
                _create_schema(engine)
                self._engine = engine

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def ping(self) -> None:
        """Raise when the database does not answer."""
        with self._begin() as conn:
            conn.execute(sa.text("SELECT 1"))

    # ------------------------------------------------------------------ submit and read

    def create(self, job: Job, key: str) -> tuple[Job, bool]:
        """Commit ``job``, or return the in-flight job with the same ``key``; (job, created)."""
        existing = self.find_in_flight(key)
        if existing is not None:
            return existing, False
        row = {
            "request_id": job.request_id,
            "run_id": job.run_id,
            "tracking_uri": job.tracking_uri,
            "request": job.request.model_dump_json(),
            "inflight_key": key,
            "correlation_id": job.correlation_id,
            "backend": job.backend,
            "status": job.status.value,
            "progress": 0.0,
            "agents_done": 0,
            "submitted_at": job.submitted_at,
            "attempts": job.attempts,
            "owner": job.owner,
            "heartbeat_at": _now(),
            "dispatched_at": _now(),
        }
        try:
            with self._begin() as conn:
                conn.execute(jobs.insert().values(**row))
        except IntegrityError:  # another request for the same analysis won the race
            existing = self.find_in_flight(key)
            if existing is None:
                raise
            return existing, False
        return job, True

    def discard(self, request_id: str) -> bool:
        """Delete a job still queued (one no executor could take); whether it was deleted."""
        with self._begin() as conn:
            done = conn.execute(
                jobs.delete().where(
                    jobs.c.request_id == request_id, jobs.c.status == JobState.QUEUED.value
                )
            )
        return bool(done.rowcount)

    def find_in_flight(self, key: str) -> Job | None:
        with self._begin() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.inflight_key == key)).first()
        return None if row is None else _job(row._mapping)

    def get(self, request_id: str) -> Job | None:
        with self._begin() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.request_id == request_id)).first()
        return None if row is None else _job(row._mapping)

    def count_by_state(self) -> dict[JobState, int]:
        with self._begin() as conn:
            rows = conn.execute(
                sa.select(jobs.c.status, sa.func.count()).group_by(jobs.c.status)
            ).all()
        counts = dict.fromkeys(JobState, 0)
        for status, count in rows:
            counts[JobState(status)] = int(count)
        return counts

    # ------------------------------------------------------------------ runner side

    def claim(self, request_id: str, owner: str) -> Job | None:
        """Mark a queued job running for ``owner`` (attempts += 1); None if it is not queued."""
        now = _now()
        with self._begin() as conn:
            done = conn.execute(
                jobs.update()
                .where(jobs.c.request_id == request_id, jobs.c.status == JobState.QUEUED.value)
                .values(
                    status=JobState.RUNNING.value,
                    attempts=jobs.c.attempts + 1,
                    started_at=now,
                    owner=owner,
                    heartbeat_at=now,
                    progress=0.0,
                    agents_done=0,
                )
            )
        return self.get(request_id) if done.rowcount == 1 else None

    def set_progress(
        self, request_id: str, attempt: int, agents_done: int, progress: float
    ) -> None:
        with self._begin() as conn:
            conn.execute(
                self._current(request_id, attempt).values(
                    agents_done=agents_done, progress=min(max(progress, 0.0), 1.0)
                )
            )

    def finish(
        self,
        request_id: str,
        attempt: int,
        *,
        result: AnalysisResult | None = None,
        error: ErrorResponse | None = None,
    ) -> bool:
        """Store the outcome of ``attempt``; False when that attempt was given up on."""
        status = JobState.FAILED if result is None else JobState(result.status.value)
        values: dict[str, Any] = {
            "status": status.value,
            "inflight_key": None,
            "finished_at": _now(),
            "result": None if result is None else result.model_dump_json(),
            "error": None if error is None else error.model_dump_json(),
        }
        if result is not None:
            values["progress"] = 1.0
            values["agents_done"] = len(result.agent_results)
        with self._begin() as conn:
            done = conn.execute(self._current(request_id, attempt).values(**values))
        return done.rowcount == 1

    def _current(self, request_id: str, attempt: int) -> sa.Update:
        return jobs.update().where(
            jobs.c.request_id == request_id,
            jobs.c.attempts == attempt,
            jobs.c.status == JobState.RUNNING.value,
        )

    # ------------------------------------------------------------------ upkeep

    def heartbeat(self, owner: str) -> int:
        """Mark ``owner``'s in-flight jobs alive; how many there are."""
        with self._begin() as conn:
            done = conn.execute(
                jobs.update()
                .where(jobs.c.owner == owner, jobs.c.status.in_([s.value for s in IN_FLIGHT]))
                .values(heartbeat_at=_now())
            )
        return int(done.rowcount)

    def in_flight(self, stale_after: float) -> InFlight:
        """Count unfinished jobs; running ones silent for ``stale_after`` s are ``silent``."""
        cutoff = _now() - timedelta(seconds=stale_after)
        live = sa.and_(jobs.c.heartbeat_at.is_not(None), jobs.c.heartbeat_at >= cutoff)
        running = jobs.c.status == JobState.RUNNING.value
        with self._begin() as conn:
            row = conn.execute(
                sa.select(
                    sa.func.count().filter(jobs.c.status == JobState.QUEUED.value),
                    sa.func.count().filter(running, live),
                    sa.func.count().filter(running, sa.not_(live)),
                )
            ).one()
        return InFlight(queued=int(row[0]), running=int(row[1]), silent=int(row[2]))

    def take_undispatched(self, lease_seconds: float, limit: int) -> list[str]:
        """Renew the lease of up to ``limit`` queued jobs, oldest first, whose lease ended
        (last dispatched more than ``lease_seconds`` ago); their ids, to be sent again.

        Each lease is renewed with a compare-and-set: of several processes reconciling at once,
        one sends a job again."""
        if limit <= 0:
            return []
        cutoff = _now() - timedelta(seconds=lease_seconds)
        expired = sa.or_(jobs.c.dispatched_at.is_(None), jobs.c.dispatched_at < cutoff)
        queued = jobs.c.status == JobState.QUEUED.value
        with self._begin() as conn:
            rows = conn.execute(
                sa.select(jobs.c.request_id, jobs.c.dispatched_at)
                .where(queued, expired)
                .order_by(jobs.c.submitted_at)
                .limit(limit)
            ).all()
        taken = []
        for request_id, dispatched_at in rows:
            same = (
                jobs.c.dispatched_at.is_(None)
                if dispatched_at is None
                else jobs.c.dispatched_at == dispatched_at
            )
            with self._begin() as conn:
                done = conn.execute(
                    jobs.update()
                    .where(jobs.c.request_id == request_id, queued, same)
                    .values(dispatched_at=_now())
                )
            if done.rowcount == 1:
                taken.append(request_id)
        return taken

    def recover(self, owner: str, stale_after: float) -> Recovery:
        """Take over the in-flight jobs of silent owners (or of dead processes on this host).

        Queued jobs are queued again for ``owner``; running ones too while they have attempts
        left, else they fail with a message. Each row is taken with a compare-and-set, so two
        servers recovering at once never both take a job.
        """
        cutoff = _now() - timedelta(seconds=stale_after)
        with self._begin() as conn:
            rows = conn.execute(
                sa.select(jobs.c.request_id, jobs.c.status, jobs.c.owner, jobs.c.attempts)
                .where(
                    jobs.c.status.in_([s.value for s in IN_FLIGHT]),
                    sa.or_(jobs.c.owner.is_(None), jobs.c.owner != owner),
                )
                .order_by(jobs.c.submitted_at)
            ).all()
        to_run: list[str] = []
        failed: list[str] = []
        for request_id, status, old_owner, attempts in rows:
            same = [jobs.c.request_id == request_id, jobs.c.status == status]
            same.append(jobs.c.owner == old_owner if old_owner else jobs.c.owner.is_(None))
            if not _owner_is_dead(old_owner):
                same.append(sa.or_(jobs.c.heartbeat_at.is_(None), jobs.c.heartbeat_at < cutoff))
            now = _now()
            if status == JobState.RUNNING.value and attempts >= MAX_ATTEMPTS:
                envelope = ErrorResponse(
                    error=ErrorCode.INTERNAL_SERVER_ERROR,
                    message=f"The server stopped while running this analysis, {attempts} times; "
                    "it was not tried again. Submit it again, with a larger max_analysis_time "
                    "or fewer options if it keeps failing.",
                    details={"request_id": request_id, "attempts": attempts},
                )
                values: dict[str, Any] = {
                    "status": JobState.FAILED.value,
                    "inflight_key": None,
                    "finished_at": now,
                    "error": envelope.model_dump_json(),
                }
                target = failed
            else:
                values = {
                    "status": JobState.QUEUED.value,
                    "owner": owner,
                    "heartbeat_at": now,
                    "dispatched_at": now,
                }
                target = to_run
            with self._begin() as conn:
                done = conn.execute(jobs.update().where(*same).values(**values))
            if done.rowcount == 1:
                target.append(request_id)
        return Recovery(to_run=to_run, failed=failed)

    def purge(self, ttl_seconds: float) -> int:
        """Delete jobs finished more than ``ttl_seconds`` ago; how many."""
        cutoff = _now() - timedelta(seconds=ttl_seconds)
        with self._begin() as conn:
            done = conn.execute(
                jobs.delete().where(
                    jobs.c.status.in_([s.value for s in FINISHED]), jobs.c.finished_at < cutoff
                )
            )
        return int(done.rowcount)

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        if self._engine is None:
            self.open()
        assert self._engine is not None
        try:
            with self._engine.begin() as conn:
                yield conn
        except OperationalError as exc:  # disk full, database gone: nothing was committed
            raise _unavailable(self.url, exc) from exc


def _now() -> datetime:
    return datetime.now(UTC)


def _create_engine(url: str) -> Engine:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL still survives a crash of the process (an OS crash may lose the
        # last commits): halves the latency of accepting a job.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def _create_schema(engine: Engine, tries: int = 5) -> None:
    """Create the table unless it exists, and add columns newer than an existing table (all
    nullable); servers starting together may race to do either."""
    for attempt in range(tries):
        try:
            metadata.create_all(engine)
            _add_missing_columns(engine)
            return
        except (OperationalError, ProgrammingError):  # created meanwhile by another process
            if attempt == tries - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def _add_missing_columns(engine: Engine) -> None:
    present = {column["name"] for column in sa.inspect(engine).get_columns(jobs.name)}
    for column in jobs.columns:
        if column.name not in present:
            kind = column.type.compile(dialect=engine.dialect)
            with engine.begin() as conn:
                conn.exec_driver_sql(f"ALTER TABLE {jobs.name} ADD COLUMN {column.name} {kind}")


def _job(row: Any) -> Job:
    error = row["error"]
    result = row["result"]
    return Job(
        request_id=row["request_id"],
        run_id=row["run_id"],
        tracking_uri=row["tracking_uri"],
        request=AnalysisRequest.model_validate_json(row["request"]),
        status=JobState(row["status"]),
        submitted_at=row["submitted_at"],
        correlation_id=row["correlation_id"],
        backend=row["backend"],
        progress=float(row["progress"]),
        agents_done=int(row["agents_done"]),
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        error=None if error is None else ErrorResponse.model_validate_json(error),
        result=None if result is None else AnalysisResult.model_validate_json(result),
        attempts=int(row["attempts"]),
        owner=row["owner"],
    )
