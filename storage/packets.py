"""Packets that live in an object store under a prefix (``bucket/prefix/manifest.yaml`` and the files)."""

from __future__ import annotations

from pipeline.documents import ReadLimits
from pipeline.errors import InputError, UnreadableFileError
from pipeline.manifest import MANIFEST_NAMES, parse_manifest
from pipeline.packet import Packet, check_file_count, check_manifest_size
from storage.objectstore import MissingObject, ObjectStore, join


class StoreSource:
    """Reads a packet's files from ``prefix/`` in a store; sizes are checked before download."""

    def __init__(self, store: ObjectStore, prefix: str) -> None:
        self.store = store
        self.prefix = prefix.strip("/")

    def read(self, path: str, max_bytes: int) -> bytes:
        key = join(self.prefix, path)
        info = self.store.stat(key)
        if info is None:
            raise UnreadableFileError("文件不存在", f"{path} is not in the packet")
        if info.size > max_bytes:
            raise UnreadableFileError("文件过大", f"{info.size} bytes > {max_bytes}")
        try:
            return self.store.get(key)
        except MissingObject:
            raise UnreadableFileError("文件不存在", f"{path} vanished while reading") from None

    def describe(self) -> str:
        return f"{self.store.describe()}/{self.prefix}"


def manifest_key(store: ObjectStore, prefix: str) -> tuple[str, int]:
    """The manifest's key under ``prefix`` and its size in bytes."""
    for name in MANIFEST_NAMES:
        key = join(prefix, name)
        if (info := store.stat(key)) is not None:
            return key, info.size
    raise InputError(f"{store.describe()}/{prefix}: no manifest.yaml or manifest.json under the prefix")


def load_store_packet(store: ObjectStore, prefix: str, limits: ReadLimits | None = None) -> Packet:
    limits = limits or ReadLimits()
    key, size = manifest_key(store, prefix)
    check_manifest_size(key, size, limits)
    try:
        text = store.get(key).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{key}: manifest is not UTF-8") from None
    manifest = check_file_count(parse_manifest(text, source=key), key, limits)
    return Packet(manifest=manifest, source=StoreSource(store, prefix))
