"""The review app in headless Chromium: sign in, open a flagged packet, dismiss a finding, return the packet.

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
        record_report(s, "uploads/2024-RV-0300", result.report, version, received_at=result.manifest.submission.submitted_at)
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

    element.click()
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
