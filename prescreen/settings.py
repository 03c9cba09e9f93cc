"""Settings from the environment (prefix ``PRESCREEN_``), built once at the edge and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.documents import ReadLimits
from pipeline.rules import RULES_DIR


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRESCREEN_", env_nested_delimiter="__", extra="ignore")

    ocr_engine: Literal["rapidocr"] = "rapidocr"
    ocr_threads: int = Field(0, description="onnxruntime threads per OCR call; 0 = all cores")
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
    review_url: str = Field("http://127.0.0.1:8080", description="where auditors open the review app (links in Prefect)")
    secret_key: SecretStr | None = Field(None, description="signs session cookies; generated and kept next to a SQLite DB if unset")
    secure_cookies: bool = Field(False, description="send the session cookie over HTTPS only (set behind TLS)")
    webhook_token: SecretStr | None = Field(None, description="bearer token MinIO sends with bucket notifications")
    page_threads: int = Field(1, ge=1, description="pages screened at once in one worker process (each holds a decoded page and its OCR buffers)")
    dask_address: str | None = Field(None, description="tcp://scheduler:8786: fan a packet's pages out over this Dask cluster")
    deployment: str = Field("prescreen-application/screen-packet", description="what an upload notification runs")
