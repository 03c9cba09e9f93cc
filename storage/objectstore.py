"""One small object-store interface; a local folder by default, MinIO (or any S3) through the ``minio`` SDK."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from pipeline.errors import StorageError


class ObjectInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    size: int
    etag: str = ""
    modified: datetime | None = None


class ObjectStore(Protocol):
    """Keys are ``/``-separated, relative, without ``..``."""

    def get(self, key: str) -> bytes: ...

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...

    def stat(self, key: str) -> ObjectInfo | None: ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]: ...

    def delete(self, key: str) -> None:
        """Remove ``key``; no error when it is not there."""
        ...

    def describe(self) -> str: ...


class MissingObject(StorageError):
    """The key does not exist (not transient: no retry helps)."""


def check_key(key: str) -> str:
    p = PurePosixPath(key)
    if not key or key.startswith("/") or ".." in p.parts or "\\" in key or "\x00" in key:
        raise StorageError(f"invalid object key {key!r}")
    return key


def join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p and p.strip("/"))


class LocalStore:
    """A folder as an object store: writes are atomic (temp file + rename), so readers never see half a file."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise StorageError(f"key {key!r} escapes the store")
        return path

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise MissingObject(f"no object {key!r} in {self.root}") from None
        except OSError as exc:
            raise StorageError(f"cannot read {key!r}: {exc.strerror}") from None

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise StorageError(f"cannot write {key!r}: {exc.strerror}") from None

    def stat(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        if not path.is_file():
            return None
        st = path.stat()
        return ObjectInfo(key=key, size=st.st_size, etag=f"{st.st_mtime_ns:x}-{st.st_size:x}", modified=datetime.fromtimestamp(st.st_mtime, UTC))

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        base = self.root / prefix if prefix else self.root
        start = base if base.is_dir() else base.parent
        if not start.exists():
            return
        for path in sorted(start.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    info = self.stat(key)
                    if info:
                        yield info

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete {key!r}: {exc.strerror}") from None

    def describe(self) -> str:
        return f"file://{self.root}"


class MinioStore:
    """A bucket on MinIO or any S3-compatible server, through the ``minio`` SDK."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = True,
        region: str | None = None,
        create_bucket: bool = False,
    ) -> None:
        from minio import Minio
        from urllib3 import PoolManager, Retry, Timeout

        http = PoolManager(
            timeout=Timeout(connect=5, read=60),
            retries=Retry(total=3, backoff_factor=0.5, status_forcelist=(500, 502, 503, 504)),
            maxsize=16,
        )
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region, http_client=http)
        self.bucket = bucket
        self.endpoint = endpoint
        self._args = (endpoint, access_key, secret_key, bucket, secure, region)
        if create_bucket:
            self.ensure_bucket()

    def __reduce__(self):  # noqa: ANN204 - to a Dask worker as its arguments: the worker opens its own connections
        return (_reconnect, self._args)

    def ensure_bucket(self) -> None:
        with self._errors("bucket"):
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)

    def _errors(self, key: str):  # noqa: ANN202 - a context manager translating SDK errors
        return _MinioErrors(key, self.bucket)

    def get(self, key: str) -> bytes:
        with self._errors(key):
            resp = self.client.get_object(self.bucket, check_key(key))
            try:
                return resp.read()
            finally:
                resp.close()
                resp.release_conn()

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        with self._errors(key):
            self.client.put_object(self.bucket, check_key(key), io.BytesIO(data), len(data), content_type=content_type)

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            with self._errors(key):
                st = self.client.stat_object(self.bucket, check_key(key))
        except MissingObject:
            return None
        return ObjectInfo(key=key, size=st.size or 0, etag=(st.etag or "").strip('"'), modified=st.last_modified)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        with self._errors(prefix or "/"):
            for obj in self.client.list_objects(self.bucket, prefix=prefix or None, recursive=True):
                if not obj.is_dir:
                    yield ObjectInfo(key=obj.object_name, size=obj.size or 0, etag=(obj.etag or "").strip('"'), modified=obj.last_modified)

    def delete(self, key: str) -> None:
        with self._errors(key):
            self.client.remove_object(self.bucket, check_key(key))

    def describe(self) -> str:
        return f"s3://{self.bucket} at {self.endpoint}"


def _reconnect(endpoint: str, access_key: str, secret_key: str, bucket: str, secure: bool, region: str | None) -> MinioStore:
    return MinioStore(endpoint, access_key, secret_key, bucket, secure=secure, region=region)


class _MinioErrors:
    def __init__(self, key: str, bucket: str) -> None:
        self.key, self.bucket = key, bucket

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:  # noqa: ANN001
        if exc is None or isinstance(exc, StorageError):
            return False
        from minio.error import S3Error
        from urllib3.exceptions import HTTPError

        if isinstance(exc, S3Error):
            if exc.code in ("NoSuchKey", "NoSuchObject", "NoSuchBucket"):
                raise MissingObject(f"no object {self.key!r} in bucket {self.bucket!r}") from None
            raise StorageError(f"object store refused {self.key!r}: {exc.code}") from None
        if isinstance(exc, HTTPError | OSError):
            raise StorageError(f"object store unreachable ({type(exc).__name__})") from None
        if isinstance(exc, ValueError):  # the SDK's check of bucket and object names
            raise StorageError(f"object store: {exc}") from None
        return False
