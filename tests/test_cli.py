"""The command line as a user runs it: python -m serlib ..."""

import subprocess
import sys
from pathlib import Path

import pytest

from serlib import paths
from serlib.app import cli


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "serlib", *args], capture_output=True,
                          text=True, cwd=paths.project_root(), env=env, timeout=300)


def test_help_lists_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "audit", "demo-data", "download"):
        assert command in result.stdout
    assert "SERLIB_DATA" in result.stdout


def test_audit_lists_broken_files_and_exits_zero(aesdd_dir: Path, capsys):
    assert cli.main(["audit", str(aesdd_dir)]) == 0
    out = capsys.readouterr().out
    assert "Corpus aesdd" in out and "7 recordings" in out and "3 skipped" in out
    assert "sadness/s05 (3).wav: empty file (0 bytes)" in out
    assert "fear/h01 (1).wav: emotion letter says happiness" in out
    assert "-- recordings per take" in out and "-- sample rates (Hz)" in out


def test_audit_ravdess_with_forced_corpus(ravdess_dir: Path, capsys):
    assert cli.main(["audit", str(ravdess_dir), "--corpus", "ravdess"]) == 0
    out = capsys.readouterr().out
    assert "-- recordings per intensity" in out
    assert "truncated file" in out and "not a RAVDESS name" in out


def test_audit_missing_folder_says_where(tmp_path: Path, capsys):
    assert cli.main(["audit", str(tmp_path / "nope")]) == 2
    assert str(tmp_path / "nope") in capsys.readouterr().err


def test_predict_exit_codes_reach_the_shell(tmp_path: Path):
    result = run_cli("predict", str(tmp_path))
    assert result.returncode == 2 and "no audio files in" in result.stderr
    (tmp_path / "empty.wav").write_bytes(b"")
    result = run_cli("predict", str(tmp_path))
    assert result.returncode == 1 and "empty file (0 bytes)" in result.stderr
    result = run_cli("predict", "--help")
    assert result.returncode == 0 and "--list-models" in result.stdout
    assert "less accurate than on RAVDESS" in " ".join(result.stdout.split())


def test_run_rejects_unknown_notebook_and_parameter(capsys):
    assert cli.main(["run", "--only", "99"]) == 2
    assert "available: 01_eda" in capsys.readouterr().err
    assert cli.main(["run", "--only", "01", "-p", "no_such_param", "1"]) == 2
    assert "no_such_param" in capsys.readouterr().err


def test_bad_choice_names_accepted_values():
    result = run_cli("run", "--profile", "fast")
    assert result.returncode == 2
    assert "choose from 'full', 'smoke'" in result.stderr


def test_download_aesdd_prints_instructions(tmp_path: Path, capsys):
    assert cli.main(["download", "aesdd", "--data-root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "aesdd") in out and "sadness" in out


@pytest.mark.parametrize("text, value", [("3", 3), ("0.5", 0.5), ("true", True), ("x", "x")])
def test_parameter_values_are_parsed(text, value):
    assert cli._parse_value(text) == value
