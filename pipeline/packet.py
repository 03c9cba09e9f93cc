"""A packet: its manifest plus a way to read the uploaded files, from a folder or an object store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipeline.documents import ReadLimits
from pipeline.errors import InputError, UnreadableFileError
from pipeline.manifest import MANIFEST_NAMES, Manifest, parse_manifest


class FileSource(Protocol):
    """Reads the packet's files by their manifest path."""

    def read(self, path: str, max_bytes: int) -> bytes: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class Packet:
    manifest: Manifest
    source: FileSource


class FolderSource:
    """Files of a packet folder; refuses anything that resolves outside it (``..``, absolute, symlinks)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def resolve(self, path: str) -> Path:
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root):
            raise InputError(f"file path escapes the packet: {path!r}")
        return target

    def read(self, path: str, max_bytes: int) -> bytes:
        target = self.resolve(path)
        if not target.is_file():
            raise UnreadableFileError("文件不存在", f"{path} is not in the packet")
        size = target.stat().st_size
        if size > max_bytes:
            raise UnreadableFileError("文件过大", f"{size} bytes > {max_bytes}")
        try:
            return target.read_bytes()
        except OSError as exc:
            raise UnreadableFileError("文件无法读取", exc.strerror or str(exc)) from None

    def describe(self) -> str:
        return str(self.root)


def find_manifest(path: Path) -> Path:
    if path.is_file():
        return path
    if path.is_dir():
        for name in MANIFEST_NAMES:
            if (path / name).is_file():
                if not (path / name).resolve().is_relative_to(path.resolve()):
                    raise InputError(f"{path / name}: the manifest links outside the packet folder")
                return path / name
        raise InputError(f"{path}: no manifest.yaml or manifest.json in the packet folder")
    raise InputError(f"{path}: no such packet folder or manifest")


def load_packet(path: Path, limits: ReadLimits | None = None) -> Packet:
    """Read and validate a packet folder (or its manifest file); ``InputError`` with one line if unusable."""
    limits = limits or ReadLimits()
    manifest_path = find_manifest(Path(path))
    try:
        check_manifest_size(manifest_path.name, manifest_path.stat().st_size, limits)
        text = manifest_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{manifest_path}: cannot be read ({exc})") from None
    manifest = check_file_count(parse_manifest(text, source=manifest_path.name), manifest_path.name, limits)
    source = FolderSource(manifest_path.parent)
    for _, name in manifest.files():
        source.resolve(name)  # symlinks out of the packet are refused before anything is screened
    return Packet(manifest=manifest, source=source)


def check_manifest_size(name: str, size: int, limits: ReadLimits) -> None:
    """A manifest is a few kilobytes; a larger one is refused before it is read."""
    if size > limits.max_manifest_bytes:
        raise InputError(f"{name}: {size} bytes, more than the {limits.max_manifest_bytes} a manifest may have")


def check_file_count(manifest: Manifest, name: str, limits: ReadLimits) -> Manifest:
    """A packet lists a few dozen files; more is refused before any is opened."""
    count = len(manifest.files())
    if count > limits.max_files:
        raise InputError(f"{name}: materials list {count} files, more than the {limits.max_files} a packet may hold")
    return manifest
