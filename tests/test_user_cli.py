"""``prescreen user add | list | disable``: an account disabled from the command line is out at once."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient

from prescreen.cli import main
from tests.reviewkit import PASSWORD, login, make_app


def test_list_disable_and_enable_again(tmp_path, monkeypatch, capsys):
    app, _store, _db = make_app(tmp_path)  # the test's database, with auditor li
    monkeypatch.setattr("sys.stdin", io.StringIO("another good password\n"))
    assert main(["user", "add", "wang", "--name", "王审核", "--password-stdin"]) == 0
    capsys.readouterr()
    assert main(["user", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:3] for line in listed] == [["li", "李审核", "active"], ["wang", "王审核", "active"]]

    client = TestClient(app)
    assert login(client).status_code == 303 and client.get("/", follow_redirects=False).status_code == 200
    assert main(["user", "disable", "li"]) == 0
    assert "every open session" in capsys.readouterr().out
    assert client.get("/", follow_redirects=False).status_code == 303  # the open session ended
    assert login(TestClient(app, client=("203.0.113.9", 1))).status_code == 401
    assert main(["user", "list"]) == 0
    assert "li\t李审核\tdisabled" in capsys.readouterr().out
    assert main(["user", "disable", "nobody"]) == 2
    assert "no account named 'nobody'" in capsys.readouterr().err

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["user", "add", "li", "--password-stdin"]) == 0  # a new password enables the account again
    assert login(TestClient(app, client=("203.0.113.10", 1))).status_code == 303
