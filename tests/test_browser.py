"""The review app in headless Chromium: sign in, open a flagged packet, dismiss a finding, return the
packet; a lead's day: search by name, the packet, its findings in the page viewer (keys only), a
decision, the statistics, an export opened with openpyxl.

Screenshots go to ``$PRESCREEN_SCREENSHOTS`` (or the test's temporary folder).
Skipped only when no Chromium is installed and ``PRESCREEN_REQUIRE_BROWSER`` is not set (CI sets it).
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from detectors import PACKET_CHECKS, REGISTRY
from pipeline.packet import load_packet
from pipeline.screen import screen_packet
from storage.reports import publish_result
from storage.reviewdb import Packet, Status, audit_trail, record_report
from tests.factories import review_packet
from tests.reviewkit import PASSWORD, make_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER) and not os.environ.get("PRESCREEN_REQUIRE_BROWSER"):
    pytest.skip("Debian chromium and chromium-driver are not installed", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path, engines, notices):
    import uvicorn

    app, store, db = make_app(tmp_path)
    folder = review_packet(tmp_path / "upload" / "2024-RV-0300", "2024-RV-0300")
    result = screen_packet(load_packet(folder), notices, engines, REGISTRY, PACKET_CHECKS)
    version = publish_result(store, "uploads/2024-RV-0300", result).version
    with db.session() as s:
        record_report(s, "uploads/2024-RV-0300", result.report, version, received_at=result.manifest.submission.submitted_at,
                      applicant=result.manifest.applicant)  # fmt: skip
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", db, result
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1100",
        f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}",
    ):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def click_and_wait(driver, element) -> None:  # noqa: ANN001
    """Click something that submits a form and wait until the next page has replaced this one."""
    act_and_wait(driver, element.click)


def act_and_wait(driver, act) -> None:  # noqa: ANN001
    """Do something that loads another page (a click, a key) and wait until it has replaced this one."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 20)
    ready = lambda d: d.execute_script("return document.readyState") == "complete"  # noqa: E731
    wait.until(ready)
    token = driver.execute_script("return window.__page = Math.random()")  # marks this document

    def replaced(d) -> bool:  # noqa: ANN001
        try:  # mid-navigation the driver may answer with any error about the old document
            return d.execute_script("return window.__page") != token and ready(d)
        except WebDriverException:
            return False

    act()
    wait.until(replaced)


def test_auditor_signs_in_dismisses_a_finding_and_returns_the_packet(served, browser, tmp_path):
    from selenium.webdriver.common.by import By

    base, db, result = served
    shots = Path(os.environ.get("PRESCREEN_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)

    browser.get(f"{base}/packets/2024-RV-0300")
    assert "/login" in browser.current_url  # not signed in: sent to sign in, nothing of the packet shown
    assert "阿依古丽" not in browser.page_source
    browser.find_element(By.NAME, "username").send_keys("li")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.save_screenshot(str(shots / "1-login.png"))
    click_and_wait(browser, browser.find_element(By.ID, "login"))
    assert browser.current_url.endswith("/packets/2024-RV-0300")  # back where the auditor was going

    browser.get(f"{base}/")
    browser.save_screenshot(str(shots / "2-queue.png"))
    row = browser.find_element(By.LINK_TEXT, "2024-RV-0300")
    click_and_wait(browser, row)
    assert "退回" in browser.find_element(By.ID, "recommendation").text
    boxes = browser.find_elements(By.CSS_SELECTOR, ".thumb .box")
    assert boxes, "the findings are drawn on the pages"
    images = browser.find_elements(By.CSS_SELECTOR, ".thumb img")
    assert images and all(browser.execute_script("return arguments[0].naturalWidth", im) > 100 for im in images[:2])
    browser.save_screenshot(str(shots / "3-packet.png"))

    name_card = browser.find_element(By.CSS_SELECTOR, '.finding[data-code="UNMASKED_NAME"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", name_card)
    box = browser.find_element(By.CSS_SELECTOR, ".thumb rect.box.error")  # drawn over the scan, not only in the markup
    assert box.size["width"] > 50 and box.size["height"] > 5 and box.is_displayed()
    browser.save_screenshot(str(shots / "3b-finding-box.png"))
    name_card.find_element(By.CSS_SELECTOR, 'input[value="dismissed"]').click()
    name_card.find_element(By.NAME, "comment").send_keys("姓名处为学校名称，非申请人姓名")
    click_and_wait(browser, name_card.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "已记录：已排除" in browser.find_element(By.ID, "flash").text
    name_card = browser.find_element(By.CSS_SELECTOR, '.finding[data-code="UNMASKED_NAME"]')
    assert "已排除" in name_card.text
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", name_card)
    browser.save_screenshot(str(shots / "4-dismissed.png"))

    rotated = browser.find_element(By.CSS_SELECTOR, '.finding[data-code="ROTATED"]')
    click_and_wait(browser, rotated.find_element(By.CSS_SELECTOR, "button[type=submit]"))  # confirm (the default choice)
    final = browser.find_element(By.ID, "final")
    browser.execute_script("arguments[0].scrollIntoView()", final)
    assert "方向不正" in final.text  # listed as the reason the applicant will be given
    final.find_element(By.CSS_SELECTOR, 'input[value="return"]').click()
    final.find_element(By.NAME, "comment").send_keys("请将2023年度考核证明正向扫描后重新上传")
    click_and_wait(browser, final.find_element(By.ID, "submit-decision"))
    assert browser.find_element(By.ID, "status").text == "已退回申请人"
    assert "方向不正" in browser.find_element(By.ID, "last-decision").text
    browser.save_screenshot(str(shots / "5-returned.png"))

    with db.session() as s:
        assert s.get(Packet, "2024-RV-0300").status == Status.returned
        actions = [(e.actor, e.action) for e in reversed(audit_trail(s, "2024-RV-0300"))]
        assert actions == [
            ("system", "report_published"),
            ("li", "finding_dismissed"),
            ("li", "finding_confirmed"),
            ("li", "packet_return"),
        ]
        assert any("方向不正" in r for r in audit_trail(s, "2024-RV-0300")[0].detail["reasons"])


def seed_season(db, today) -> None:  # noqa: ANN001
    """A few 2025-track packets over the last days, some decided, so the statistics and the export have a season."""
    from datetime import datetime, time as clock_time, timedelta

    from pipeline.models import FindingCode as C
    from tests.seeding import BJ, Clock, applicant, conclude, decide, finding, record, report

    with pytest.MonkeyPatch.context() as mp, db.session() as s:
        clock = Clock(mp)
        for i in range(12):
            day = today - timedelta(days=6 - i // 2)
            at = datetime.combine(day, clock_time(9 + i % 2 * 3), BJ)
            codes = [C.ROTATED] if i % 3 else [C.BLURRY, C.POOR_EXPOSURE]
            track = ("initial_junior", "grant_intermediate", "fhj_three_year")[i % 3]
            fps = record(s, clock, at, report(f"2025-S{i:03d}", track, [finding(c) for c in codes]), "v1", at - timedelta(minutes=20),
                         applicant(f"王{'一二三四五六七八九十甲乙'[i]}", f"乌鲁木齐市第{i + 1}医院"))  # fmt: skip
            if i % 4 == 3:
                continue  # still awaiting review
            for n, fp in enumerate(fps):
                decide(s, clock, at + timedelta(hours=5, minutes=n), f"2025-S{i:03d}", fp, "dismissed" if n else "confirmed", "v1", who="zhang")
            conclude(s, clock, at + timedelta(hours=6), f"2025-S{i:03d}", "return" if i % 2 else "pass", "v1", who="zhang")


def test_a_leads_day_search_packet_viewer_decision_statistics_export(served, browser, tmp_path):
    import glob
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from openpyxl import load_workbook
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    base, db, result = served
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    seed_season(db, today)
    shots = Path(os.environ.get("PRESCREEN_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})

    def alt(key: str) -> None:
        act_and_wait(browser, lambda: ActionChains(browser).key_down(Keys.ALT).send_keys(key).key_up(Keys.ALT).perform())

    browser.get(f"{base}/login")
    browser.find_element(By.NAME, "username").send_keys("li")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.ID, "login"))

    # search: the applicant on the phone gives her name without the middle dot
    box = browser.find_element(By.CSS_SELECTOR, "form.find input[name=q]")
    box.send_keys("阿依古丽买买提")
    act_and_wait(browser, lambda: box.send_keys(Keys.ENTER))
    assert "共 1 份" in browser.find_element(By.ID, "found").text
    row = browser.find_element(By.CSS_SELECTOR, "#queue tbody tr")
    assert "阿依古丽·买买提" in row.text and "乌鲁木齐市第十中学" in row.text
    browser.save_screenshot(str(shots / "6-search.png"))

    # the packet, then its findings in the viewer, by keys only
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "2024-RV-0300"))
    assert "阿依古丽·买买提" in browser.find_element(By.ID, "applicant").text
    assert "第 1 / 1 份" in browser.find_element(By.ID, "queue-nav").text
    browser.save_screenshot(str(shots / "7-packet.png"))
    alt("j")
    assert "/view/f" in browser.current_url and browser.current_url.endswith("#box")
    first = browser.current_url
    current = browser.find_element(By.ID, "box")
    assert current.is_displayed() and current.size["width"] > 20
    code = browser.find_element(By.ID, "current-finding").get_attribute("data-code")
    browser.save_screenshot(str(shots / "8-viewer.png"))
    alt("=")
    alt("=")
    assert "zoom=200" in browser.current_url
    stage = browser.find_element(By.ID, "stage")
    box_rect, stage_rect = browser.find_element(By.ID, "box").rect, stage.rect
    assert stage_rect["y"] <= box_rect["y"] < stage_rect["y"] + stage_rect["height"]  # scrolled to the box at 200 %
    browser.save_screenshot(str(shots / "9-viewer-zoom.png"))
    if browser.find_elements(By.ID, "next-finding"):
        alt("j")
        assert browser.current_url != first and "zoom=200" in browser.current_url  # the zoom holds from one finding to the next
        alt("k")
        assert browser.current_url.split("?")[0] == first.split("?")[0]
    # decide the finding where it is drawn, then every other one from the packet page
    card = browser.find_element(By.ID, "current-finding")
    card.find_element(By.CSS_SELECTOR, 'input[value="confirmed"]').click()
    click_and_wait(browser, card.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert "已记录：已确认" in browser.find_element(By.ID, "flash").text and "/view/f" in browser.current_url
    alt("x")
    assert "/view/" not in browser.current_url
    final = browser.find_element(By.ID, "final")
    browser.execute_script("arguments[0].scrollIntoView()", final)
    final.find_element(By.CSS_SELECTOR, 'input[value="return"]').click()
    final.find_element(By.NAME, "comment").send_keys("请遮盖姓名后重新上传")
    click_and_wait(browser, final.find_element(By.ID, "submit-decision"))
    assert browser.find_element(By.ID, "status").text == "已退回申请人"

    # statistics: today's return among the season's figures, charts drawn in the page
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "统计"))
    returned = int(browser.find_element(By.ID, "n-returned").text)
    assert returned == 3 + 1  # three seeded returns and the one just made
    daily = browser.find_element(By.ID, "chart-daily")
    assert daily.size["height"] > 150 and browser.find_elements(By.CSS_SELECTOR, "#chart-daily rect.c-returned")
    assert browser.find_element(By.CSS_SELECTOR, "#chart-codes text.label").text  # a Chinese code label drawn
    last_row = browser.find_elements(By.CSS_SELECTOR, "#table-daily tbody tr")[-1].text
    assert last_row.startswith(today.isoformat())
    browser.save_screenshot(str(shots / "10-statistics.png"))
    browser.execute_script("document.getElementById('chart-codes').scrollIntoView()")
    browser.save_screenshot(str(shots / "11-statistics-codes.png"))

    # export: the season's decisions as .xlsx, opened as a spreadsheet program would
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "导出"))
    browser.save_screenshot(str(shots / "12-export.png"))
    browser.find_element(By.ID, "export").click()
    WebDriverWait(browser, 30).until(lambda _: glob.glob(str(downloads / "*.xlsx")))
    wb = load_workbook(glob.glob(str(downloads / "*.xlsx"))[0])
    rows = {r[0]: r for r in wb["审核结论"].iter_rows(min_row=2, values_only=True)}
    assert rows["2024-RV-0300"][2] is None and rows["2024-RV-0300"][5] == "退回申请人"  # review track: no name
    assert "阿依古丽" not in str(rows["2024-RV-0300"])
    assert rows["2025-S001"][2] == "王二" and rows["2025-S001"][5] == "退回申请人"
    assert len(rows) == 9 + 1  # nine seeded decisions and today's
    confirmed = [r for r in wb["已确认问题"].iter_rows(min_row=2, values_only=True) if r[0] == "2024-RV-0300"]
    assert code == "UNMASKED_NAME" and [r[3] for r in confirmed] == ["姓名未遮盖"]  # the one confirmed in the viewer
    assert "＊＊＊" in confirmed[0][7] and "阿依古丽" not in confirmed[0][7]  # its message quotes the name: blanked
    with db.session() as s:
        assert [(e.actor, e.action) for e in audit_trail(s)][0] == ("li", "export")
