"""S3/MinIO bucket notifications: which packets an event says were uploaded.

MinIO posts ``{"EventName": ..., "Key": ..., "Records": [...]}`` (the S3 event format) to a
webhook target; object keys in records are URL-encoded. A packet is announced by its
manifest: the uploading platform writes the files first and the manifest last.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from pydantic import BaseModel

from pipeline.manifest import MANIFEST_NAMES
from storage.objectstore import StorageError, check_key


class Upload(BaseModel):
    bucket: str
    key: str  # the manifest's key
    prefix: str  # the packet's folder
    etag: str = ""
    sequencer: str = ""

    @property
    def identity(self) -> str:
        """The same upload notified twice has the same identity; a new upload of the packet does not."""
        return f"{self.bucket}/{self.key}@{self.etag or self.sequencer}"


def uploads(event: dict[str, Any], packets_prefix: str = "") -> list[Upload]:
    """The manifests created under ``packets_prefix`` that an event reports; anything else is ignored."""
    found = []
    for record in event.get("Records") or []:
        if not isinstance(record, dict) or not str(record.get("eventName", "")).startswith(("s3:ObjectCreated:", "ObjectCreated:")):
            continue
        s3 = record.get("s3") or {}
        obj = s3.get("object") or {}
        key = unquote_plus(str(obj.get("key", "")))
        folder, _, name = key.rpartition("/")
        if name not in MANIFEST_NAMES or not folder:
            continue
        if packets_prefix and not (folder + "/").startswith(packets_prefix.strip("/") + "/"):
            continue
        try:
            check_key(key)
        except StorageError:
            continue
        found.append(
            Upload(
                bucket=str((s3.get("bucket") or {}).get("name", "")),
                key=key,
                prefix=folder,
                etag=str(obj.get("eTag", "")).strip('"'),
                sequencer=str(obj.get("sequencer", "")),
            )
        )
    return found
