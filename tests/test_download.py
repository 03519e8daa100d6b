"""Tests of serlib.data.download against a local HTTP server (127.0.0.1 only, no internet)."""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import socket
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from serlib.data.download import (
    AESDD_EMOTIONS,
    RAVDESS_ZIP,
    DownloadError,
    aesdd_instructions,
    download_file,
    download_ravdess,
)

PAYLOAD = random.Random(0).randbytes(200_000)
CHUNK = 4096
CUT = 16 * CHUNK  # a whole number of chunks, so that every byte sent before the cut is written


class _Server(ThreadingHTTPServer):
    """Serves ``payload`` at every path; logs the ``Range`` header of each GET."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.payload = PAYLOAD
        self.cut_after: int | None = None  # drop the connection after this many bytes, once
        self.ignore_range = False
        self.ranges: list[str | None] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/file.zip"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        srv = self.server
        requested = self.headers.get("Range")
        srv.ranges.append(requested)
        data, size = srv.payload, len(srv.payload)
        match = re.fullmatch(r"bytes=(\d+)-", requested or "")
        if match and not srv.ignore_range:
            start = int(match.group(1))
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            body = data[start:]
        else:
            self.send_response(200)
            body = data
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if srv.cut_after is not None:
            body, srv.cut_after = body[: srv.cut_after], None
            self.close_connection = True
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


RAVDESS_FILES = {
    "Actor_01/03-01-01-01-01-01-01.wav": b"RIFF-one",
    "Actor_01/03-01-05-02-01-02-01.wav": b"RIFF-two-longer",
    "Actor_24/03-01-08-02-02-02-24.wav": b"RIFF-three",
}


def _get(url: str, dest: Path, **kwargs: object) -> Path:
    return download_file(url, dest, chunk_size=CHUNK, progress=False, timeout=5, **kwargs)


def test_full_download_then_no_network(server: _Server, tmp_path: Path) -> None:
    dest = tmp_path / "sub" / "file.zip"
    assert _get(server.url, dest, md5=_md5(PAYLOAD)) == dest
    assert dest.read_bytes() == PAYLOAD
    assert not dest.with_name("file.zip.part").exists()
    assert server.ranges == [None]
    assert _get(server.url, dest, md5=_md5(PAYLOAD)) == dest
    assert _get(server.url, dest) == dest
    assert len(server.ranges) == 1


def test_existing_dest_with_wrong_checksum_is_downloaded_again(
    server: _Server, tmp_path: Path
) -> None:
    dest = tmp_path / "file.zip"
    dest.write_bytes(b"stale")
    _get(server.url, dest, md5=_md5(PAYLOAD))
    assert dest.read_bytes() == PAYLOAD
    assert len(server.ranges) == 1


def test_resume_after_dropped_connection(server: _Server, tmp_path: Path) -> None:
    dest = tmp_path / "file.zip"
    part = tmp_path / "file.zip.part"
    server.cut_after = CUT
    with pytest.raises(DownloadError, match="resume"):
        _get(server.url, dest, md5=_md5(PAYLOAD))
    assert not dest.exists()
    assert part.read_bytes() == PAYLOAD[:CUT]
    _get(server.url, dest, md5=_md5(PAYLOAD))
    assert server.ranges == [None, f"bytes={CUT}-"]
    assert dest.read_bytes() == PAYLOAD
    assert not part.exists()


def test_server_ignoring_range_restarts_from_zero(server: _Server, tmp_path: Path) -> None:
    dest = tmp_path / "file.zip"
    (tmp_path / "file.zip.part").write_bytes(b"x" * 1000)  # wrong bytes: must not be kept
    server.ignore_range = True
    _get(server.url, dest)
    assert server.ranges == ["bytes=1000-"]
    assert dest.read_bytes() == PAYLOAD


@pytest.mark.parametrize(
    ("part_bytes", "requests_made"),
    [(PAYLOAD, 1), (PAYLOAD + b"junk", 2)],
    ids=["part-complete", "part-too-long"],
)
def test_range_not_satisfiable(
    server: _Server, tmp_path: Path, part_bytes: bytes, requests_made: int
) -> None:
    dest = tmp_path / "file.zip"
    (tmp_path / "file.zip.part").write_bytes(part_bytes)
    _get(server.url, dest, md5=_md5(PAYLOAD))
    assert dest.read_bytes() == PAYLOAD
    assert server.ranges[0] == f"bytes={len(part_bytes)}-"
    assert len(server.ranges) == requests_made


def test_checksum_mismatch(server: _Server, tmp_path: Path) -> None:
    dest = tmp_path / "file.zip"
    wrong = "0" * 32
    with pytest.raises(DownloadError) as info:
        _get(server.url, dest, md5=wrong)
    message = str(info.value)
    assert "file.zip" in message and wrong in message and _md5(PAYLOAD) in message
    assert list(tmp_path.iterdir()) == []


def test_network_error_names_url_and_keeps_part(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/file.zip"
    part = tmp_path / "file.zip.part"
    part.write_bytes(b"partial")
    with pytest.raises(DownloadError) as info:
        _get(url, tmp_path / "file.zip")
    assert url in str(info.value) and "by hand" in str(info.value)
    assert part.read_bytes() == b"partial"


@pytest.mark.parametrize("top", ["", "Audio_Speech_Actors_01-24/"], ids=["flat", "extra-top"])
def test_download_ravdess_unpacks_and_is_idempotent(
    server: _Server, tmp_path: Path, top: str
) -> None:
    members = {top + name: data for name, data in RAVDESS_FILES.items()}
    members[f"__MACOSX/{top}Actor_01/._03-01-01-01-01-01-01.wav"] = b"resource fork"  # skipped
    server.payload = _zip(members)
    md5 = _md5(server.payload)
    ravdess = download_ravdess(tmp_path, url=server.url, md5=md5, progress=False)
    assert ravdess == tmp_path / "ravdess"
    found = {p.relative_to(ravdess).as_posix(): p.read_bytes() for p in ravdess.rglob("*.wav")}
    assert found == RAVDESS_FILES
    assert (tmp_path / "downloads" / RAVDESS_ZIP).read_bytes() == server.payload

    wav = ravdess / "Actor_01" / "03-01-01-01-01-01-01.wav"
    os.utime(wav, ns=(0, 0))  # any rewrite would reset it
    assert download_ravdess(tmp_path, url=server.url, md5=md5, progress=False) == ravdess
    (tmp_path / "downloads" / "ravdess_unpacked.tsv").unlink()  # force the unpacking step
    assert download_ravdess(tmp_path, url=server.url, md5=md5, progress=False) == ravdess
    assert wav.stat().st_mtime_ns == 0
    assert len(server.ranges) == 1


def test_download_ravdess_keeps_a_single_actor_folder(server: _Server, tmp_path: Path) -> None:
    files = {name: data for name, data in RAVDESS_FILES.items() if name.startswith("Actor_01/")}
    server.payload = _zip(files)
    ravdess = download_ravdess(tmp_path, url=server.url, md5=None, progress=False)
    assert {p.relative_to(ravdess).as_posix() for p in ravdess.rglob("*.wav")} == set(files)


def test_download_ravdess_repairs_and_keep_zip_false(
    server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERLIB_DATA", str(tmp_path))
    server.payload = _zip(RAVDESS_FILES)
    ravdess = download_ravdess(url=server.url, md5=None, keep_zip=False, progress=False)
    assert ravdess == tmp_path / "ravdess"
    assert not (tmp_path / "downloads" / RAVDESS_ZIP).exists()
    download_ravdess(url=server.url, md5=None, keep_zip=False, progress=False)
    assert len(server.ranges) == 1  # everything unpacked: no network

    broken = ravdess / "Actor_24" / "03-01-08-02-02-02-24.wav"
    broken.write_bytes(b"RIFF")  # truncated: downloaded and unpacked again
    download_ravdess(url=server.url, md5=None, keep_zip=False, progress=False)
    assert len(server.ranges) == 2
    assert broken.read_bytes() == RAVDESS_FILES["Actor_24/03-01-08-02-02-02-24.wav"]


@pytest.mark.parametrize("evil", ["../evil.wav", "Actor_01/../../evil.wav", "/abs/evil.wav"])
def test_download_ravdess_rejects_unsafe_members(
    server: _Server, tmp_path: Path, evil: str
) -> None:
    root = tmp_path / "data"
    server.payload = _zip({**RAVDESS_FILES, evil: b"evil"})
    with pytest.raises(DownloadError, match="refusing to unpack"):
        download_ravdess(root, url=server.url, md5=None, progress=False)
    assert not (root / "ravdess").exists()
    assert [p.name for p in tmp_path.rglob("evil.wav")] == []


def test_aesdd_instructions(tmp_path: Path) -> None:
    text = aesdd_instructions(tmp_path)
    assert str(tmp_path / "aesdd") in text
    assert AESDD_EMOTIONS == ("anger", "disgust", "fear", "happiness", "sadness")
    for emotion in AESDD_EMOTIONS:
        assert f"{emotion}/*.wav" in text
    assert "m3c.web.auth.gr" in text and "Vryzas" in text
