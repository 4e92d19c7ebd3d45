"""The support-desk page in a real headless Chromium: paste a document, read the outcome, switch
language, use the keyboard, and check that the page asks nothing of any other host."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from serving import REPO, Server

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver "
                                                                  "(.ci/run installs them)")
EXAMPLES = REPO / "examples"
SCREENSHOT = REPO / "docs" / "images" / "serve.png"


@pytest.fixture(scope="module")
def server():
    with Server("--playground") as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="espolicy-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                f"--user-data-dir={profile}", "--window-size=1400,1000", "--lang=en-US"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait(driver, condition, timeout=60):
    return WebDriverWait(driver, timeout).until(condition)


def _outcome(driver) -> str:
    return driver.find_element(By.ID, "outcome").get_attribute("data-outcome")


def _check(driver, text: str) -> None:
    """Paste `text` into the document box (as a person pastes: the whole text at once) and press Check."""
    area = driver.find_element(By.ID, "doc")
    driver.execute_script("arguments[0].value = arguments[1];", area, text)
    driver.execute_script("document.getElementById('outcome').dataset.outcome = 'pending';")
    driver.find_element(By.ID, "check").click()
    _wait(driver, lambda d: _outcome(d) not in ("pending", ""))


def test_paste_a_denied_registration_and_read_the_decision_in_both_languages(server, browser):
    browser.get(server.url + "/")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#example option")) > 1)
    _check(browser, (EXAMPLES / "registration-mixed-generations.yaml").read_text(encoding="utf-8"))
    assert _outcome(browser) == "deny"
    assert browser.find_element(By.ID, "outcome").text == "deny"
    finding = browser.find_element(By.CSS_SELECTOR, "#findings li[data-rule='mixed-generations']")
    assert "ESP_G2" in finding.find_element(By.CLASS_NAME, "message").text
    assert "FAQ Q10" in finding.find_element(By.CLASS_NAME, "question").text
    assert "registered with ExpressSupportPack" in finding.find_element(By.CLASS_NAME, "question").text
    assert finding.find_element(By.CLASS_NAME, "advice").text
    facts = browser.find_element(By.ID, "facts").text
    assert "service_last_day" in facts and "2028-04-30" in facts
    # the explain tree shows the rule that fired
    browser.find_element(By.CSS_SELECTOR, "#explain-box summary").click()
    assert "mixed-generations" in browser.find_element(By.ID, "explain").text

    browser.find_element(By.ID, "lang-ja").click()
    _wait(browser, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja")
    assert browser.find_element(By.ID, "outcome").text == "不可 (deny)"
    finding = browser.find_element(By.CSS_SELECTOR, "#findings li[data-rule='mixed-generations']")
    assert "混在" in finding.find_element(By.CLASS_NAME, "message").text
    assert "ExpressSupportPack G2で登録" in finding.find_element(By.CLASS_NAME, "question").text
    assert browser.find_element(By.ID, "result-heading").text == "判定"
    browser.find_element(By.ID, "lang-en").click()
    _wait(browser, lambda d: d.find_element(By.ID, "result-heading").text == "Decision")


def test_screenshot_for_the_docs(server, browser, tmp_path):
    """The picture in docs/serve.md; `ESPOLICY_UPDATE_SCREENSHOT=1` writes it there, else to a
    temporary folder."""
    browser.get(server.url + "/")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#example option")) > 1)
    _check(browser, (EXAMPLES / "registration-mixed-generations.yaml").read_text(encoding="utf-8"))
    browser.set_window_size(1400, 1000)
    png = browser.get_screenshot_as_png()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    target = SCREENSHOT if os.environ.get("ESPOLICY_UPDATE_SCREENSHOT") == "1" else tmp_path / "serve.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(png)


def test_keyboard_only_pick_an_example_and_check(server, browser):
    browser.get(server.url + "/")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#example option")) > 1)
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)   # the skip link comes first
    assert browser.switch_to.active_element.get_attribute("class") == "skip"
    # tab to the example list, choose an example with the arrow keys
    for _ in range(12):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        if browser.switch_to.active_element.get_attribute("id") == "example":
            break
    assert browser.switch_to.active_element.get_attribute("id") == "example"
    driver_doc = browser.find_element(By.ID, "doc")
    browser.execute_script("document.getElementById('outcome').dataset.outcome = 'pending';")
    browser.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
    _wait(browser, lambda d: _outcome(d) not in ("pending", ""))
    assert driver_doc.get_attribute("value").strip()
    # Ctrl+Enter in the document box checks it again
    browser.execute_script("document.getElementById('outcome').dataset.outcome = 'pending';")
    driver_doc.send_keys(Keys.CONTROL, Keys.ENTER)
    _wait(browser, lambda d: _outcome(d) not in ("pending", ""))
    assert _outcome(browser) in ("allow", "deny", "review")


def test_every_control_has_a_label_and_nothing_is_fetched_from_elsewhere(server, browser):
    browser.get(server.url + "/")
    _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#example option")) > 1)
    unlabelled = browser.execute_script("""
        return [...document.querySelectorAll('textarea, select, input')]
          .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
          .map(e => e.id || e.name);""")
    assert unlabelled == []
    assert browser.find_element(By.ID, "status").get_attribute("aria-live") == "polite"
    urls = set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.add(message["params"]["request"]["url"])
    assert any(u.startswith(server.url + "/assets/") for u in urls)
    # chrome:// and data: are the browser's own; anything over the network must be this server
    outside = [u for u in urls if u.startswith(("http:", "https:", "ws:", "wss:", "ftp:"))
               and not u.startswith(server.url + "/")]
    assert outside == []


def test_a_body_that_is_not_yaml_shows_the_line_and_column(server, browser):
    browser.get(server.url + "/")
    _check(browser, "kind: registration\nid: [unclosed\n")
    assert _outcome(browser) == "invalid"
    error = browser.find_element(By.ID, "error").text
    assert "line 3" in error and "column" in error


def test_playground_shows_diagnostics_at_their_positions_and_the_new_decision(server, browser):
    browser.get(server.url + "/")
    _wait(browser, lambda d: d.find_element(By.ID, "rules").get_attribute("value"))
    area = browser.find_element(By.ID, "doc")
    browser.execute_script("arguments[0].value = arguments[1];", area,
                           (EXAMPLES / "registration-ok.yaml").read_text(encoding="utf-8"))
    # break registration.esp: the checker names the file, line and column
    select = browser.find_element(By.ID, "rule-file")
    browser.execute_script("arguments[0].value = 'registration.esp'; arguments[0].dispatchEvent(new Event('change'));",
                           select)
    rules = browser.find_element(By.ID, "rules")
    text = rules.get_attribute("value")
    broken = text.replace("pack.term_years", "pack.term_yeras", 1)
    line = text[:text.index("pack.term_years")].count("\n") + 1
    browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
                           rules, broken)
    browser.find_element(By.ID, "run-rules").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#diagnostics li.severity-error"), 120)
    diagnostic = browser.find_element(By.CSS_SELECTOR, "#diagnostics li.severity-error").text
    assert f"registration.esp:{line}:" in diagnostic and "term_yeras" in diagnostic
    assert browser.find_element(By.ID, "pg-outcome").get_attribute("data-outcome") == ""
    # a rule that denies every registration: the new decision is deny
    fixed = text + ('\nrule everything-denied {\n  for registration\n  deny when pack.term_years > 0\n  faq none\n'
                    '  message en "no"\n  message ja "いいえ"\n}\n')
    browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
                           rules, fixed)
    browser.find_element(By.ID, "run-rules").click()
    _wait(browser, lambda d: d.find_element(By.ID, "pg-outcome").get_attribute("data-outcome") == "deny", 120)
    assert "everything-denied" in browser.find_element(By.ID, "pg-findings").text
