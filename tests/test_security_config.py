"""Keys and secrets: the session key is made atomically (mode 600, at least 32 bytes) or refused; in
production, default and placeholder credentials stop the app and the workers with one line."""

from __future__ import annotations

import os
import threading

import pytest
from pydantic import SecretStr

from pipeline.errors import ConfigError
from prescreen.cli import main


@pytest.fixture(autouse=True)
def _never_serve(monkeypatch):
    """``prescreen serve`` must stop before serving here; if it did not, fail instead of blocking."""
    import uvicorn

    def refuse(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("the app started")

    monkeypatch.setattr(uvicorn, "run", refuse)
from prescreen.settings import Settings
from review.app import key_file, session_secret


def test_the_generated_session_key_is_whole_private_and_shared(tmp_path):
    path = tmp_path / "data" / "session.key"
    keys, barrier = [], threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(key_file(path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(set(keys)) == 1 and len(keys[0].encode()) >= 32  # eight processes starting at once agree on one key
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in path.parent.iterdir()] == ["session.key"]  # no temporary file left behind
    assert key_file(path) == keys[0]


@pytest.mark.parametrize(("content", "mode", "message"), [
    ("", 0o600, "shorter than 32 bytes"),
    ("short", 0o600, "shorter than 32 bytes"),
    ("x" * 40, 0o644, "readable by others"),
])  # fmt: skip
def test_a_bad_session_key_file_is_refused(tmp_path, content, mode, message):
    path = tmp_path / "session.key"
    path.write_text(content)
    path.chmod(mode)
    with pytest.raises(ConfigError, match=message):
        key_file(path)


@pytest.mark.parametrize("key", ["", "short", "k" * 31, "密" * 10])
def test_a_short_configured_key_is_refused(tmp_path, key, monkeypatch, capsys):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/r.db", secret_key=SecretStr(key))
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        session_secret(settings)
    monkeypatch.setenv("PRESCREEN_SECRET_KEY", key)
    assert main(["serve"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "PRESCREEN_SECRET_KEY must be at least 32 bytes" in err


def test_a_long_enough_key_is_used(tmp_path):
    assert session_secret(Settings(database_url="postgresql+psycopg://u@h/db", secret_key=SecretStr("密" * 11))) == "密" * 11
    with pytest.raises(ConfigError, match="must be set"):
        session_secret(Settings(database_url="postgresql+psycopg://u@h/db"))


GOOD = {
    "review_url": "https://review.example",
    "secret_key": SecretStr("Zr8q" * 12),
    "webhook_token": SecretStr("tok-" + "9" * 28),
    "store": "minio",
    "minio_access_key": "prescreen-app",
    "minio_secret_key": SecretStr("a-real-secret-of-some-length"),
    "database_url": "postgresql+psycopg://prescreen_app:S3cret-enough-pw@db/prescreen",
}


@pytest.mark.parametrize(("change", "message"), [
    ({"minio_access_key": "minioadmin", "minio_secret_key": SecretStr("minioadmin")}, "minioadmin"),
    ({"minio_secret_key": SecretStr("change-me-now")}, "PRESCREEN_MINIO_SECRET_KEY is a default or placeholder"),
    ({"webhook_token": SecretStr("change-this-token")}, "PRESCREEN_WEBHOOK_TOKEN is a default or placeholder"),
    ({"webhook_token": SecretStr("hook-token")}, "PRESCREEN_WEBHOOK_TOKEN is shorter than 24"),
    ({"secret_key": SecretStr("change-me-" + "x" * 30)}, "PRESCREEN_SECRET_KEY is a default or placeholder"),
    ({"database_url": "postgresql+psycopg://prescreen:change-me-now@db/prescreen"}, "the password in PRESCREEN_DATABASE_URL"),
    ({"review_url": "http://review.example", "env": "production"}, "must be https:// in production"),
])  # fmt: skip
def test_production_refuses_defaults_and_placeholders(change, message):
    with pytest.raises(ConfigError, match=message):
        Settings(**(GOOD | change)).refuse_unsafe()


def test_a_real_production_configuration_and_development_defaults_pass():
    Settings(**GOOD).refuse_unsafe()
    Settings(**(GOOD | {"review_url": "https://r.example", "env": "production"})).refuse_unsafe()
    dev = Settings(review_url="http://127.0.0.1:8080", minio_access_key="minioadmin")
    assert not dev.production
    dev.refuse_unsafe()  # development: MinIO's defaults are fine on a laptop


def test_workers_and_the_app_refuse_placeholders_at_start(tmp_path, monkeypatch, capsys):
    from prescreen import runtime

    for key, value in {"REVIEW_URL": "https://review.example", "STORE": "minio", "MINIO_SECRET_KEY": "change-me-now",
                       "SECRET_KEY": "s" * 40}.items():  # fmt: skip
        monkeypatch.setenv(f"PRESCREEN_{key}", value)
    with pytest.raises(ConfigError, match="PRESCREEN_MINIO_ACCESS_KEY is MinIO's default"):
        runtime.store_for(Settings())  # what every flow run builds first
    assert main(["serve"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "minioadmin" in err
    assert not os.environ.get("PRESCREEN_DEBUG")
