"""`smk report` runs its notebooks on this environment's Python, never on another
environment's kernel that happens to be named `smk` (`report.ensure_kernel`)."""

import json
import os
import sys
from pathlib import Path

import pytest

from smk import report


def test_another_venv_of_the_same_base_python_is_not_this_python(tmp_path):
    """Every venv's `bin/python` links to its base interpreter: resolved alone, all of them
    look like this one."""
    stray = tmp_path / "stray-venv" / "bin" / "python"
    stray.parent.mkdir(parents=True)
    os.symlink(Path(sys.executable).resolve(), stray)
    assert Path(stray).resolve() == Path(sys.executable).resolve()  # what fooled the old check
    assert not report._is_this_python(str(stray))
    assert report._is_this_python(sys.executable)


def test_another_name_for_this_python_in_its_own_folder_is_this_python(tmp_path, monkeypatch):
    bin_ = tmp_path / "venv" / "bin"
    bin_.mkdir(parents=True)
    os.symlink(Path(sys.executable).resolve(), bin_ / "python3")
    os.symlink("python3", bin_ / "python")
    monkeypatch.setattr(sys, "executable", str(bin_ / "python"))
    assert report._is_this_python(str(bin_ / "python3"))


def _kernels(monkeypatch, pythons: list[str]) -> list[dict]:
    """Jupyter's `smk` kernel runs `pythons[0]` until the install, then `pythons[1]`."""
    installs: list[dict] = []
    monkeypatch.setattr(report, "_smk_kernel_python", lambda: pythons[bool(installs)])
    monkeypatch.setattr(
        "ipykernel.kernelspec.install", lambda **kwargs: installs.append(kwargs) or ""
    )
    return installs


def test_a_stray_smk_kernel_is_replaced_by_this_environments(tmp_path, monkeypatch):
    stray = str(tmp_path / "old-venv" / "bin" / "python")
    installs = _kernels(monkeypatch, [stray, sys.executable])
    assert report.ensure_kernel() == report.KERNEL_NAME
    assert [i["prefix"] for i in installs] == [sys.prefix]


def test_a_stray_smk_kernel_found_first_even_after_the_install_is_refused(tmp_path, monkeypatch):
    stray = str(tmp_path / "old-venv" / "bin" / "python")
    _kernels(monkeypatch, [stray, stray])
    with pytest.raises(report.ReportError, match="another Python.*kernelspec remove smk"):
        report.ensure_kernel()


def test_this_environments_kernel_is_used_as_it_is(monkeypatch):
    installs = _kernels(monkeypatch, [sys.executable, sys.executable])
    assert report.ensure_kernel() == report.KERNEL_NAME
    assert installs == []


def test_a_users_smk_kernel_of_another_venv_is_not_taken_for_this_one(tmp_path, monkeypatch):
    """As Jupyter finds kernels: a user-level `smk` kernel (found first) that runs another
    venv of the same base Python is no kernel of this environment."""
    stray = tmp_path / "old-venv" / "bin" / "python"
    stray.parent.mkdir(parents=True)
    os.symlink(Path(sys.executable).resolve(), stray)
    spec = tmp_path / "data" / "kernels" / report.KERNEL_NAME
    spec.mkdir(parents=True)
    argv = [str(stray), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "old", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "0")  # the user's kernels first
    monkeypatch.setattr("ipykernel.kernelspec.install", lambda **kwargs: "")
    with pytest.raises(report.ReportError, match="another Python"):
        report.ensure_kernel()


THIS_MINOR = f"python3.{sys.version_info[1]}"


@pytest.mark.parametrize("bare", ["python", "python3", THIS_MINOR])
def test_a_kernel_of_a_bare_python_runs_this_python(bare):
    """jupyter_client runs this very Python for a spec whose argv[0] is a bare `python`."""
    assert report._is_this_python(bare)


@pytest.mark.parametrize("other", [9, 1, 10])
def test_a_bare_python_of_another_minor_version_is_another_python(other):
    """jupyter_client runs a spec's `python3.9` as it is (another interpreter, or none): only
    `python`, `python3` and this minor version's name are this Python."""
    bare = f"python3.{sys.version_info[1] + other}"
    assert not report._is_this_python(bare)


def test_this_environment_through_a_symlinked_folder_is_this_python(tmp_path):
    """A kernel installed under a symlinked path of the project (a symlinked home or /srv)
    names this environment's python by another spelling: it is this Python, not another."""
    link = tmp_path / "venvlink"
    os.symlink(Path(sys.executable).parent.parent, link)
    spelled = link / "bin" / Path(sys.executable).name
    assert spelled.absolute() != Path(sys.executable).absolute()
    assert report._is_this_python(str(spelled))
