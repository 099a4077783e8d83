"""Settings: read once from the environment at the entry point and passed down, frozen."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class VitalThresholds:
    """Ministry of Health home-care guidance: SpO2 >= 96% at rest and RR <= 20/min."""

    spo2_attention_below: float = 96.0
    spo2_emergency_below: float = 94.0
    respiratory_rate_attention_above: float = 20.0
    respiratory_rate_emergency_above: float = 25.0
    pulse_attention_above: float = 120.0
    temperature_attention_above: float = 39.0
    systolic_attention_below: float = 90.0


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    # A hot standby of database_url that serves sync pulls (domain/replica.py); None: none.
    database_replica_url: str | None = None
    replica_wait_ms: int = 1000
    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    port: int = 8000
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    access_token_ttl_s: int = 8 * 3600
    clock_skew_ms: int = 5 * 60 * 1000
    max_push_mutations: int = 1000
    max_body_bytes: int = 5 * 1024 * 1024
    tile_url: str | None = None
    thresholds: VitalThresholds = field(default_factory=VitalThresholds)
    db_pool_size: int = 10
    workers: int = 1
    # How long the server holds an idle kept-alive connection: above a load balancer's idle
    # timeout (60 s is common), so the server never closes one the balancer is about to
    # reuse (a 502), and a tablet back within a minute reuses its connection. uvicorn's own
    # 5 s made a request sent just as it closed fail without an answer.
    keep_alive_s: int = 75

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, database_url: str | None = None
    ) -> Settings:
        """Build settings from environment variables; ``database_url`` wins when given."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("FIELDOPS_DATA_DIR", ".data"))
        url = database_url or env.get("DATABASE_URL") or ""
        secret = env.get("JWT_SECRET") or _persistent_secret(data_dir)
        th = VitalThresholds(
            spo2_attention_below=float(env.get("SPO2_ATTENTION_BELOW", 96)),
            spo2_emergency_below=float(env.get("SPO2_EMERGENCY_BELOW", 94)),
            respiratory_rate_attention_above=float(env.get("RR_ATTENTION_ABOVE", 20)),
        )
        return cls(
            database_url=url,
            database_replica_url=env.get("DATABASE_REPLICA_URL") or None,
            replica_wait_ms=int(env.get("DATABASE_REPLICA_WAIT_MS", 1000)),
            data_dir=data_dir,
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8000")),
            jwt_secret=secret,
            access_token_ttl_s=int(env.get("ACCESS_TOKEN_TTL_S", 8 * 3600)),
            clock_skew_ms=int(env.get("SYNC_CLOCK_SKEW_MS", 5 * 60 * 1000)),
            max_push_mutations=int(env.get("SYNC_MAX_MUTATIONS", 1000)),
            max_body_bytes=int(env.get("SYNC_MAX_BODY_BYTES", 5 * 1024 * 1024)),
            tile_url=env.get("MAP_TILE_URL") or None,
            thresholds=th,
            db_pool_size=int(env.get("DB_POOL_SIZE", 10)),
            workers=max(1, int(env.get("WEB_CONCURRENCY", 1))),
            keep_alive_s=int(env.get("KEEP_ALIVE_S", 75)),
        )


def _persistent_secret(data_dir: Path) -> str:
    """A per-installation signing key kept under the data directory so restarts keep logins."""
    path = data_dir / "jwt_secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    secret = secrets.token_urlsafe(48)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secret)
        path.chmod(0o600)
    except OSError:
        pass
    return secret
