"""The page cache kept in the object store (``cache/`` at the bucket root), shared by every worker."""

from __future__ import annotations

from storage.objectstore import MissingObject, ObjectStore, join


class StoreCache:
    def __init__(self, store: ObjectStore, prefix: str = "cache") -> None:
        self.store = store
        self.prefix = prefix

    def load(self, key: str) -> bytes | None:
        try:
            return self.store.get(join(self.prefix, key))
        except MissingObject:
            return None

    def save(self, key: str, data: bytes) -> None:
        self.store.put(join(self.prefix, key), data, "application/json")
