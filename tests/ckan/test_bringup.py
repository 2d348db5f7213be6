"""The bring-up script: a second `up` is quick and changes nothing; secrets stay private."""

from __future__ import annotations

import os
import stat
import subprocess

import ckanapi

from .conftest import REPO, TOKEN_FILE

SCRIPT = REPO / "ckan_config" / "local-ckan"
STATE = REPO / "ckan_config" / ".local"


def test_second_up_changes_nothing(admin: ckanapi.RemoteCKAN) -> None:
    token, pid = TOKEN_FILE.read_text(), (STATE / "ckan.pid").read_text()
    orgs, groups = admin.action.organization_list(), admin.action.group_list()
    ini = (STATE / "ckan.ini").stat().st_mtime
    out = subprocess.run(["bash", str(SCRIPT), "up"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "created" not in out.stdout and "installing" not in out.stdout
    assert TOKEN_FILE.read_text() == token and (STATE / "ckan.pid").read_text() == pid
    assert (STATE / "ckan.ini").stat().st_mtime == ini
    assert admin.action.organization_list() == orgs and admin.action.group_list() == groups


def test_token_file_is_private_and_never_printed() -> None:
    mode = stat.S_IMODE(os.stat(TOKEN_FILE).st_mode)
    assert mode == 0o600
    out = subprocess.run(["bash", str(SCRIPT), "status"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("up: http://127.0.0.1:")
    assert TOKEN_FILE.read_text().strip() not in out.stdout + out.stderr
