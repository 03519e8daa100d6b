"""Fetching the corpora: a resumable, checksummed download of RAVDESS and instructions for AESDD.

RAVDESS (speech, audio only) is downloaded from Zenodo and unpacked into
``<data_root>/ravdess/Actor_01 .. Actor_24/*.wav``. AESDD has no stable direct download, so
:func:`aesdd_instructions` tells the user how to request it and where to put it.

Used in: python -m serlib download
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

import requests
from tqdm.auto import tqdm

from serlib import paths
from serlib.cache import hash_file

__all__ = [
    "AESDD_EMOTIONS",
    "AESDD_INSTRUCTIONS",
    "AESDD_URL",
    "RAVDESS_MD5",
    "RAVDESS_URL",
    "RAVDESS_ZIP",
    "DownloadError",
    "aesdd_instructions",
    "download_file",
    "download_ravdess",
    "md5sum",
]

RAVDESS_URL = "https://zenodo.org/records/1188976/files/Audio_Speech_Actors_01-24.zip?download=1"
RAVDESS_ZIP = "Audio_Speech_Actors_01-24.zip"
# MD5 published by Zenodo for Audio_Speech_Actors_01-24.zip (208,468,073 bytes) on record 1188976,
# https://zenodo.org/records/1188976 (Livingstone & Russo 2018, doi:10.5281/zenodo.1188976).
RAVDESS_MD5 = "bc696df654c87fed845eb13823edef8a"

AESDD_URL = "http://m3c.web.auth.gr/research/aesdd-speech-emotion-recognition/"
AESDD_EMOTIONS = ("anger", "disgust", "fear", "happiness", "sadness")

_AESDD_TREE = "".join(f"           {emotion}/*.wav\n" for emotion in AESDD_EMOTIONS)
# Template: ``{aesdd_dir}`` is filled in by :func:`aesdd_instructions`.
AESDD_INSTRUCTIONS = f"""\
AESDD (Acted Emotional Speech Dynamic Database, Greek) has no stable direct download.

1. Open the AESDD page of the Multidisciplinary Media & Mediated Communication (M3C) research
   group of the Aristotle University of Thessaloniki:
       {AESDD_URL}
   and follow its request/registration procedure. The database is free for research use.
2. Unpack what you receive so that the five emotion folders lie directly in the AESDD folder:
       {{aesdd_dir}}/
{_AESDD_TREE}\
   If the archive has an extra top folder, move the five emotion folders out of it.
3. The distribution contains a few unreadable .wav files; leave them in place: serlib skips
   them and reports which ones it skipped.

Cite: N. Vryzas, R. Kotsakis, A. Liatsou, C. A. Dimoulas and G. Kalliris (2018), "Speech emotion
recognition for performance interaction", J. Audio Eng. Soc. 66(6), 457-467,
doi:10.17743/jaes.2018.0036.
"""

_ACTOR_DIR = re.compile(r"Actor_\d\d")
_MANIFEST = "ravdess_unpacked.tsv"


class DownloadError(RuntimeError):
    """A download or an unpacking failed: network error, checksum mismatch or unsafe archive."""


def md5sum(path: Path, chunk_size: int = 1 << 20) -> str:
    """Compute the MD5 checksum of a file, reading it in chunks.

    Args:
        path (Path): File to hash
        chunk_size (int): Bytes read at a time (Default value = 1 MiB)

    Returns:
        digest (str): MD5 checksum as 32 lower-case hexadecimal digits

    Used in: python -m serlib download
    """
    return hash_file(path, "md5", chunk_size)


def _content_range_total(value: str | None) -> int | None:
    """Total size in bytes from a ``Content-Range`` header (``bytes 0-9/10``, ``bytes */10``)."""
    match = re.fullmatch(r"bytes\s+(?:\d+-\d+|\*)/(\d+)", (value or "").strip())
    return int(match.group(1)) if match else None


def _fetch(url: str, part: Path, *, chunk_size: int, progress: bool, timeout: float) -> None:
    """Stream ``url`` into ``part``, resuming from the bytes already there; raise
    ``requests.RequestException`` on network errors and :class:`DownloadError` when the server
    sent fewer bytes than announced."""
    offset = part.stat().st_size if part.exists() else 0
    # identity: byte offsets and Content-Length must refer to the file itself, not a gzip of it
    headers = {"Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    with requests.get(url, headers=headers, stream=True, timeout=timeout) as response:
        if response.status_code == 416:  # range starts at or past the end
            total = _content_range_total(response.headers.get("Content-Range"))
            if total is None or total == offset:
                return  # the .part already holds the whole file
            part.unlink()  # the .part is longer than the file: start again
            _fetch(url, part, chunk_size=chunk_size, progress=progress, timeout=timeout)
            return
        response.raise_for_status()
        if response.status_code == 206:  # the server honoured the range: append
            mode, start = "ab", offset
            total = _content_range_total(response.headers.get("Content-Range"))
        else:  # 200: the server ignored the range (or there was none): start from 0
            mode, start = "wb", 0
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        with (
            open(part, mode) as fh,
            tqdm(
                total=total,
                initial=start,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=part.name.removesuffix(".part"),
                disable=not progress,
            ) as bar,
        ):
            for chunk in response.iter_content(chunk_size):
                fh.write(chunk)
                bar.update(len(chunk))
    size = part.stat().st_size
    if total is not None and size != total:
        raise DownloadError(
            f"download of {url} stopped after {size} of {total} bytes; "
            f"run again to resume from {part}"
        )


def download_file(
    url: str,
    dest: Path,
    *,
    md5: str | None = None,
    chunk_size: int = 1 << 20,
    progress: bool = True,
    timeout: float = 30.0,
) -> Path:
    """Download a file over HTTP(S), resumably, and check its MD5 checksum.

    The bytes go to ``<dest>.part`` first. An existing ``.part`` (from an interrupted run) is
    resumed with an HTTP ``Range`` request; if the server ignores the range the download starts
    again from byte 0. Only a complete file whose checksum matches is renamed to ``dest``. If
    ``dest`` already exists and matches ``md5`` (or ``md5`` is None), nothing is downloaded.

    Args:
        url (str): Address of the file
        dest (Path): Where the file ends up; its folder is created if needed
        md5 (str | None): Expected MD5 checksum (32 hexadecimal digits), or None to skip the check
            (Default value = None)
        chunk_size (int): Bytes read from the network at a time (Default value = 1 MiB)
        progress (bool): Show a tqdm progress bar in bytes (Default value = True)
        timeout (float): Seconds to wait for the connection and for each read
            (Default value = 30.0)

    Returns:
        dest (Path): The downloaded (or already present) file

    Raises:
        DownloadError: On a network error or a cut-off transfer (the ``.part`` is kept so that
            the next run resumes it),
            or on a checksum mismatch (the ``.part`` is deleted)

    Used in: python -m serlib download
    """
    dest = Path(dest)
    expected = md5.lower() if md5 else None
    if dest.is_file() and (expected is None or md5sum(dest) == expected):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_suffix(dest.suffix + ".part")
    try:
        _fetch(url, part, chunk_size=chunk_size, progress=progress, timeout=timeout)
    except requests.RequestException as exc:
        raise DownloadError(
            f"could not download {url}: {exc}\n"
            f"No internet? Download it by hand from {url} and put it at {dest}, then run again"
            + (
                f" (the partial file {part} is kept; the next run resumes it)."
                if part.exists()
                else "."
            )
        ) from exc
    if expected is not None:
        actual = md5sum(part)
        if actual != expected:
            part.unlink()
            raise DownloadError(
                f"checksum mismatch for {dest.name} downloaded from {url}: expected md5 "
                f"{expected}, got {actual}; the partial file was deleted, run again to retry"
            )
    os.replace(part, dest)
    return dest


def _safe_member(name: str) -> PurePosixPath:
    """Relative path of a zip member; raise :class:`DownloadError` for absolute paths or ``..``."""
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or windows.root:
        raise DownloadError(f"refusing to unpack zip member with an absolute path: {name!r}")
    if ".." in posix.parts or ".." in windows.parts:
        raise DownloadError(f"refusing to unpack zip member that leaves its folder: {name!r}")
    return PurePosixPath(*windows.parts)


def _unpack(archive: Path, target: Path, *, progress: bool) -> list[tuple[str, int]]:
    """Unpack ``archive`` into ``target`` so that ``Actor_NN/`` folders lie directly in it.

    All member names are checked before anything is written. A single extra top folder (one that
    is not itself an ``Actor_NN`` folder) is stripped; macOS ``__MACOSX`` entries are skipped.
    Files already present with the right size are not written again.

    Returns:
        unpacked (list[tuple[str, int]]): Relative path and size in bytes of every unpacked file
    """
    with zipfile.ZipFile(archive) as zf:
        members = [
            (info, _safe_member(info.filename)) for info in zf.infolist() if not info.is_dir()
        ]
        members = [(info, rel) for info, rel in members if rel.parts[0] != "__MACOSX"]
        tops = {rel.parts[0] for _, rel in members}
        if (
            len(tops) == 1
            and all(len(rel.parts) > 1 for _, rel in members)
            and not _ACTOR_DIR.fullmatch(next(iter(tops)))
        ):
            members = [(info, PurePosixPath(*rel.parts[1:])) for info, rel in members]
        unpacked = []
        for info, rel in tqdm(
            members, desc=f"unpack {archive.name}", unit="file", disable=not progress
        ):
            out = target.joinpath(rel)
            if not (out.is_file() and out.stat().st_size == info.file_size):
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            unpacked.append((rel.as_posix(), info.file_size))
    return unpacked


def _already_unpacked(manifest: Path, target: Path) -> bool:
    """True if ``manifest`` lists files that are all present in ``target`` with their size."""
    if not manifest.is_file():
        return False
    rows = [line.split("\t") for line in manifest.read_text(encoding="utf-8").splitlines()]
    return bool(rows) and all(
        (target / rel).is_file() and (target / rel).stat().st_size == int(size)
        for rel, size in rows
    )


def download_ravdess(
    data_root: Path | None = None,
    *,
    url: str = RAVDESS_URL,
    md5: str | None = RAVDESS_MD5,
    keep_zip: bool = True,
    progress: bool = True,
) -> Path:
    """Download the RAVDESS speech audio (about 200 MiB) and unpack it into ``<data_root>/ravdess``.

    The zip is downloaded (resumably, MD5-checked) to ``<data_root>/downloads/`` and unpacked so
    that the result is ``<data_root>/ravdess/Actor_01 .. Actor_24/*.wav``. Unpacking rejects
    members with absolute paths or ``..``. The list of unpacked files is written to
    ``<data_root>/downloads/ravdess_unpacked.tsv``; while all of them are present with the right
    size, a later call returns at once, without network access, even if the zip was deleted.

    Args:
        data_root (Path | None): Folder holding ``ravdess/``; None for
            :func:`serlib.paths.data_root` (Default value = None)
        url (str): Address of the zip (Default value = RAVDESS_URL, Zenodo record 1188976)
        md5 (str | None): Expected MD5 of the zip, or None to skip the check
            (Default value = RAVDESS_MD5)
        keep_zip (bool): Keep the zip in ``downloads/`` after unpacking (Default value = True)
        progress (bool): Show progress bars for the download and the unpacking
            (Default value = True)

    Returns:
        ravdess_dir (Path): The folder ``<data_root>/ravdess``

    Raises:
        DownloadError: If the download fails, the checksum does not match or the zip holds
            unsafe member names

    Used in: python -m serlib download
    """
    root = Path(data_root) if data_root is not None else paths.data_root()
    target = root / "ravdess"
    downloads = root / "downloads"
    manifest = downloads / _MANIFEST
    if _already_unpacked(manifest, target):
        return target
    archive = download_file(url, downloads / RAVDESS_ZIP, md5=md5, progress=progress)
    unpacked = _unpack(archive, target, progress=progress)
    manifest.write_text("".join(f"{rel}\t{size}\n" for rel, size in unpacked), encoding="utf-8")
    if not keep_zip:
        archive.unlink()
    return target


def aesdd_instructions(data_root: Path | None = None) -> str:
    """Explain how to obtain AESDD by hand and where to put it.

    Args:
        data_root (Path | None): Folder holding ``aesdd/``; None for
            :func:`serlib.paths.data_root` (Default value = None)

    Returns:
        text (str): :data:`AESDD_INSTRUCTIONS` with the resolved ``<data_root>/aesdd`` filled in

    Used in: python -m serlib download
    """
    root = Path(data_root) if data_root is not None else paths.data_root()
    return AESDD_INSTRUCTIONS.format(aesdd_dir=root / "aesdd")
