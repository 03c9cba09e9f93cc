"""Settings from the environment (prefix ``PRESCREEN_``), built once at the edge and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.documents import ReadLimits
from pipeline.errors import ConfigError
from pipeline.ocr import OcrOptions
from pipeline.rules import RULES_DIR

MIN_SECRET_BYTES = 32
# defaults and the placeholders of docker-compose.yml and the README: refused in production
PLACEHOLDERS = {"minioadmin", "change-me-now", "change-this-token", "changeme", "change-me", "password", "secret", "…", "..."}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRESCREEN_", env_nested_delimiter="__", extra="ignore")

    env: Literal["development", "production"] = Field(
        "development", description="production refuses default and placeholder secrets (implied by an https review URL)"
    )

    ocr_engine: Literal["rapidocr"] = "rapidocr"
    ocr_threads: int = Field(0, description="inference threads per OCR call; 0 = all cores")
    ocr: OcrOptions = Field(OcrOptions(), description="OCR backend, detection size and recognition batch (PRESCREEN_OCR__BACKEND, ...)")
    rules_dir: Path = RULES_DIR
    limits: ReadLimits = ReadLimits()

    store: Literal["local", "minio"] = "local"
    local_root: Path = Path("./prescreen-data")
    minio_endpoint: str = "127.0.0.1:9000"
    minio_access_key: str = "minioadmin"
    minio_secret_key: SecretStr = SecretStr("minioadmin")
    minio_bucket: str = "prescreen"
    minio_secure: bool = False
    minio_region: str | None = None

    page_cache: bool = Field(True, description="keep per-page results under cache/ in the store (re-screens skip OCR)")
    packets_prefix: str = Field("uploads", description="packets live at <packets_prefix>/<folder>/manifest.yaml")
    database_url: str = Field("sqlite:///./prescreen-data/review.db", description="review decisions and audit log")
    database_owner_url: str | None = Field(
        None, description="the schema owner's URL for `prescreen db upgrade`/`grant` when the app connects as a restricted role"
    )
    review_url: str = Field("http://127.0.0.1:8080", description="where auditors open the review app (links in Prefect)")
    secret_key: SecretStr | None = Field(None, description="signs session cookies; generated and kept next to a SQLite DB if unset")
    secure_cookies: bool = Field(False, description="send the session cookie over HTTPS only (set behind TLS)")
    webhook_token: SecretStr | None = Field(None, description="bearer token MinIO sends with bucket notifications")
    page_threads: int = Field(1, ge=1, description="pages screened at once in one worker process (each holds a decoded page and its OCR buffers)")
    dask_address: str | None = Field(None, description="tcp://scheduler:8786: fan a packet's pages out over this Dask cluster")
    deployment: str = Field("prescreen-application/screen-packet", description="what an upload notification runs")

    @property
    def https(self) -> bool:
        return self.review_url.lower().startswith("https://")

    @property
    def production(self) -> bool:
        return self.env == "production" or self.https

    def refuse_unsafe(self) -> None:
        """Raise ``ConfigError`` (one line, naming the variable) for a secret that must not be used:
        a session key under 32 bytes always; in production, default or placeholder credentials."""
        if self.secret_key is not None and len(self.secret_key.get_secret_value().encode("utf-8")) < MIN_SECRET_BYTES:
            raise ConfigError(f"PRESCREEN_SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes (python -c 'import secrets; print(secrets.token_urlsafe(48))')")
        if not self.production:
            return
        if not self.https:
            raise ConfigError("PRESCREEN_REVIEW_URL must be https:// in production (the app sits behind TLS)")
        checks: list[tuple[str, str | None, int]] = [
            ("PRESCREEN_SECRET_KEY", _plain(self.secret_key), MIN_SECRET_BYTES),
            ("PRESCREEN_WEBHOOK_TOKEN", _plain(self.webhook_token), 24),
            ("the password in PRESCREEN_DATABASE_URL", _url_password(self.database_url), 12),
        ]
        if self.store == "minio":
            checks.append(("PRESCREEN_MINIO_SECRET_KEY", self.minio_secret_key.get_secret_value(), 12))
            if self.minio_access_key.lower() == "minioadmin":
                raise ConfigError("PRESCREEN_MINIO_ACCESS_KEY is MinIO's default (minioadmin): give prescreen its own MinIO user")
        for name, value, min_len in checks:
            if value is None:
                continue
            if _placeholder(value):
                raise ConfigError(f"{name} is a default or placeholder value: set a real secret before running in production")
            if len(value) < min_len:
                raise ConfigError(f"{name} is shorter than {min_len} characters: too weak for production")


def _plain(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


def _url_password(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).password
    except Exception:  # noqa: BLE001 - a URL SQLAlchemy cannot parse fails later, where it is used
        return None


def _placeholder(value: str) -> bool:
    v = value.strip().lower()
    return v in PLACEHOLDERS or any(w in v for w in ("change-me", "change-this", "changeme", "minioadmin", "placeholder"))
