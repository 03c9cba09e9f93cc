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


def test_backfill_applicants_from_the_manifests(tmp_path, capsys):
    """Packets recorded before names were kept get them from their manifest in the store; a packet
    whose manifest is gone or broken is one line on stderr, the rest still done."""
    import json
    from pathlib import Path

    from samples.generate import PacketBuilder
    from storage.reviewdb import Packet
    from tests.reviewkit import publish, screened

    _app, store, db = make_app(tmp_path)  # the store is PRESCREEN_LOCAL_ROOT of the test
    for app_id in ("2024-RV-0001", "2024-RV-0002", "2024-RV-0003"):
        publish(store, db, f"uploads/{app_id}", screened(app_id))  # recorded without the applicant
    manifest = PacketBuilder(Path("/nonexistent"), application_id="2024-RV-0001", track="review").manifest()
    store.put("uploads/2024-RV-0001/manifest.json", json.dumps(manifest, ensure_ascii=False, default=str).encode())
    store.put("uploads/2024-RV-0002/manifest.json", b'{"application_id": "2024-RV-0002", "track": "<script>"}')
    assert main(["db", "backfill-applicants"]) == 0
    out, err = capsys.readouterr()
    assert "applicants recorded for 1 packets; 2 skipped" in out
    assert len(err.splitlines()) == 2 and "2024-RV-0002: skipped" in err and "2024-RV-0003: skipped" in err and "Traceback" not in err
    with db.session() as s:
        assert (s.get(Packet, "2024-RV-0001").applicant_name, s.get(Packet, "2024-RV-0001").employer) == ("阿依古丽·买买提", "乌鲁木齐市第十中学")
        assert s.get(Packet, "2024-RV-0002").applicant_name == ""
    assert main(["db", "backfill-applicants"]) == 0
    assert "applicants recorded for 0 packets; 2 skipped" in capsys.readouterr().out
