"""The chat widget in a real browser: Playwright driving Debian's Chromium against the
service running on 127.0.0.1. Screenshots are kept in tests/artifacts/ as test artifacts.

Playwright's own browser download cannot work here (no internet), so the browser is the
``chromium`` binary from Debian's package (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed here")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def service(shipped_settings) -> Iterator[str]:
    import uvicorn

    from api.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(shipped_settings), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started and time.time() < deadline:
        time.sleep(0.1)
    assert server.started, "service did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    assert CHROMIUM, "CI must install Debian's chromium (apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _ask(page, question: str) -> object:
    before = page.locator(".jnt-bot").count()
    page.fill("#jnt-input", question)
    page.keyboard.press("Enter")
    return _reply(page, before)


def _reply(page, before: int) -> object:
    """The bot's message after the first ``before`` ones, once it has finished arriving."""
    reply = page.locator(".jnt-bot").nth(before)
    reply.wait_for()
    page.wait_for_function(
        "n => { const r = document.querySelectorAll('.jnt-bot')[n];"
        " return r && !r.hasAttribute('aria-busy') && r.textContent.length > 0; }",
        arg=before, timeout=60_000)
    return reply


def test_widget_answers_with_expandable_citations(service: str, browser) -> None:
    page = browser.new_page()
    page.goto(f"{service}/demo")
    page.get_by_role("button", name="政策咨询").click()
    reply = _ask(page, "我当过兵，能参加补贴培训吗？")
    text = reply.inner_text()
    assert "可以" in text or "要看条件" in text
    citation = reply.locator("details").first
    citation.locator("summary").click()
    quote = citation.locator("blockquote").inner_text()
    assert "退役军人" in quote
    _shot(page, "widget-answer")
    page.close()


def test_widget_replies_in_traditional_to_traditional(service: str, browser) -> None:
    from corpus.normalize import detect_script

    page = browser.new_page()
    page.goto(f"{service}/demo")
    page.get_by_role("button", name="政策咨询").click()
    reply = _ask(page, "網課學完拿到合格證明，能領培訓補貼嗎？")
    assert detect_script(reply.inner_text()) == "zh-Hant"
    _shot(page, "widget-traditional")
    page.close()


def test_widget_is_keyboard_usable_and_fits_a_phone(service: str, browser) -> None:
    page = browser.new_page(viewport={"width": 375, "height": 667})
    page.goto(f"{service}/demo")
    button = page.get_by_role("button", name="政策咨询")
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    assert dialog.is_visible()
    assert page.evaluate("document.activeElement.id") == "jnt-input"
    box = dialog.bounding_box()
    assert box and box["width"] <= 375 and box["height"] <= 667
    _shot(page, "widget-phone")
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert page.evaluate("document.activeElement.className") == "jnt-btn"
    assert page.locator("[role=log][aria-live=polite]").count() == 1
    page.close()


def test_a_follow_up_question_offers_quick_reply_chips(service: str, browser) -> None:
    page = browser.new_page()
    page.goto(f"{service}/demo")
    page.get_by_role("button", name="政策咨询").click()
    _ask(page, "我想参加湖北的1+X证书培训，可以吗？")
    chips = page.locator(".jnt-chips button")
    assert chips.count() >= 1
    _shot(page, "widget-chips")
    chips.first.click()
    page.locator(".jnt-user").nth(1).wait_for()
    page.close()


def test_the_meets_conditions_chip_settles_the_answer(service: str, browser) -> None:
    """A worker who taps 「符合」 under 「您是否符合上面的条件？」 gets 「可以」 with the
    conditions they said they meet, and is not asked the same question again."""
    page = browser.new_page()
    page.goto(f"{service}/demo")
    page.get_by_role("button", name="政策咨询").click()
    _ask(page, "我是失业人员，在南昌，能领失业保险金吗？")
    page.locator(".jnt-chips button", has_text="不符合").wait_for()
    before = page.locator(".jnt-bot").count()
    page.locator(".jnt-chips button").filter(has_text="符合").first.click()
    text = _reply(page, before).inner_text()
    assert "可以。" in text and "缴费义务满1年" in text
    assert page.locator(".jnt-ask").is_hidden() and page.locator(".jnt-chips button").count() == 0
    _shot(page, "widget-meets-conditions")
    page.close()


def test_widget_conversation_in_traditional(service: str, browser) -> None:
    """The reply's first sentence answers; the follow-up question stands above its chips;
    citation cards do not repeat the reply's text; a Traditional session gets Traditional
    labels."""
    from corpus.normalize import detect_script

    page = browser.new_page()
    page.goto(f"{service}/demo")
    page.get_by_role("button", name="政策咨询").click()
    # A question the files answer 「要看條件」 with a follow-up and chips. (The earlier one, on
    # 民辦學校 and 政府補貼 projects, is answered only by 國發〔2018〕11號 (十), which retrieval
    # misses; the 江西 passage it found does not say, and the assistant now refuses it.)
    reply = _ask(page, "農民工參加職業技能培訓能拿補貼嗎？")
    body = reply.evaluate("n => n.firstChild.textContent")
    first = body.splitlines()[0]
    assert first.startswith(("可以", "不可以", "要看條件", "文件規定", "現有")), first
    assert len(body) <= 300
    cards = reply.locator("details.jnt-cite")
    assert 1 <= cards.count() <= 3
    for i in range(cards.count()):
        card = cards.nth(i)
        assert card.locator("summary").inner_text().startswith("依據")
        card.locator("summary").click()
        quote = card.locator("blockquote").inner_text()
        assert quote and quote not in body
    assert "這個回答有幫助嗎" in reply.inner_text()
    ask, chips = page.locator(".jnt-ask"), page.locator(".jnt-chips button")
    assert ask.is_visible() and chips.count() >= 1
    assert ask.bounding_box()["y"] < chips.first.bounding_box()["y"]
    assert detect_script(ask.inner_text() + chips.first.inner_text()) == "zh-Hant"
    assert page.locator("#jnt-title").inner_text() == "技能通 · 職業培訓政策諮詢"
    assert page.locator(".jnt-form button").inner_text() == "發送"
    reply.evaluate("n => n.scrollIntoView()")
    _shot(page, "widget-traditional-conversation")
    page.close()


@pytest.fixture(scope="module")
def counselor_home(shipped_settings) -> object:
    """The shipped home with a small sample catalog and a counselor account."""
    import tempfile

    from api.users import create_user
    from matcher.catalog import count_programs, import_catalog
    from matcher.sample import generate, write_csv

    if count_programs(shipped_settings) == 0:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "catalog.csv"
            write_csv(generate(300), path)
            import_catalog(shipped_settings, path, is_sample=True)
    create_user(shipped_settings, "guwen", "console-pass-1", "counselor")
    return shipped_settings


def _online_occupation(settings) -> str:
    """An occupation the catalog teaches online, so it is reachable from anywhere."""
    from matcher.catalog import list_programs

    return next(p["occupation"] for p in list_programs(settings, limit=None)
                if p["mode"] == "线上")


def test_console_sign_in_match_why_not_compare_and_export(service: str, browser,
                                                          counselor_home) -> None:
    page = browser.new_page(accept_downloads=True)
    page.goto(f"{service}/console")
    page.fill("input[name=username]", "guwen")
    page.fill("input[name=password]", "wrong-password")
    page.click("#login-form button")
    page.locator("#login-error").filter(has_text="密码").or_(
        page.locator("#login-error").filter(has_text="用户")).wait_for()
    page.fill("input[name=password]", "console-pass-1")
    page.click("#login-form button")
    page.locator("#work").wait_for()
    page.fill("input[name=province]", "江西省")
    occupation = _online_occupation(counselor_home)
    page.fill("input[name=interests_text]", f"想学{occupation}")
    page.fill("input[name=age]", "30")
    page.fill("input[name=groups]", "当过兵")
    page.select_option("select[name=travel]", "anywhere")
    page.click("#profile-form button[type=submit]")
    first = page.locator("#results > li").first
    first.wait_for()
    assert page.locator("#results > li").count() >= 3
    assert first.locator("[role=meter]").count() == 7  # one bar per factor
    assert occupation in first.inner_text()
    # why not: a program that is not in the list
    page.locator("#results > li input[type=checkbox]").nth(0).check()
    page.locator("#results > li input[type=checkbox]").nth(1).check()
    assert page.locator("#compare table").count() == 1
    _shot(page, "console-results")
    with page.expect_download() as download:
        page.click("#export-xlsx")
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "console-shortlist.xlsx"
    download.value.save_as(path)
    from openpyxl import load_workbook

    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][0] == "项目编号" and len(rows) == 3
    page.click("#eligibility-btn")
    page.locator("#eligibility details").first.wait_for()
    assert "退役军人" in page.locator("#eligibility").inner_text()
    page.click("#guide-btn")
    page.locator("#guide").filter(has_text="问").or_(
        page.locator("#guide").filter(has_text="稳定")).wait_for()
    page.fill("#why-form input[name=q]", "没有这种项目")
    page.click("#why-form button")
    page.locator("#why-found").filter(has_text="没有找到").wait_for()
    _shot(page, "console-eligibility")
    page.close()


def _console(browser, service: str) -> object:
    """The console, signed in as the test counselor, at a laptop's size."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{service}/console")
    page.fill("input[name=username]", "guwen")
    page.fill("input[name=password]", "console-pass-1")
    page.click("#login-form button")
    page.locator("#work").wait_for()
    return page


class _Clicks:
    """Counts the counselor's clicks, so the walk-through's budget is measured, not guessed."""

    def __init__(self, page) -> None:
        self.page, self.count = page, 0

    def __call__(self, selector: str) -> None:
        self.count += 1
        self.page.click(selector)


def test_a_walk_in_case_from_new_case_to_printed_hand_out(service: str, browser,
                                                          counselor_home) -> None:
    """One walk-in, as a counselor works it: new case, the worker's facts typed, "no
    certificate" said, ranked, one guide question answered with a click, two programs
    chosen, the hand-out printed — at most 12 clicks, screenshots at each stage."""
    page = _console(browser, service)
    click = _Clicks(page)
    click("#new-case")
    page.locator("#case-ref").filter(has_text="C-").wait_for()
    occupation = _online_occupation(counselor_home)
    page.fill("input[name=province]", "江西省")
    page.fill("input[name=age]", "41")
    page.fill("input[name=interests_text]", f"想学{occupation}")
    click("#no-certs")
    click("#match-btn")
    page.locator("#results > li.result").first.wait_for()
    assert page.locator("#weights-box").get_attribute("open") is None  # weights collapsed
    assert page.evaluate("document.getElementById('results-card').getBoundingClientRect().top")\
        < 200  # the results were scrolled into view
    _shot(page, "walk-in-1-results")
    click("#guide-btn")
    chip = page.locator("#guide button.chip").first
    chip.wait_for()
    _shot(page, "walk-in-2-guide")
    question = page.locator("#guide p").first.inner_text()
    chip.click()
    click.count += 1
    page.locator("#guide").filter(has_not_text=question).wait_for()
    page.locator("#results > li.result").first.wait_for()
    boxes = page.locator("#results > li.result input[type=checkbox]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    click.count += 2
    titles = [page.locator("#results > li.result strong").nth(i).inner_text() for i in (0, 1)]
    with page.expect_popup() as popup:
        click("#print")
    handout = popup.value
    handout.wait_for_load_state()
    handout.locator("body").filter(has_text=titles[0]).wait_for()
    text = handout.locator("body").inner_text()
    assert titles[1] in text and "C-" in text and "guwen" in text
    ARTIFACTS.mkdir(exist_ok=True)
    handout.screenshot(path=str(ARTIFACTS / "walk-in-3-handout.png"), full_page=True)
    handout.pdf(path=str(ARTIFACTS / "walk-in-handout.pdf"), format="A4")
    assert click.count <= 12, click.count
    # the case remembers what was chosen and printed
    page.click("#my-cases-btn")
    page.locator("#my-cases li").first.filter(has_text="已推荐").wait_for()
    _shot(page, "walk-in-4-case")
    page.close()


def test_a_second_question_waits_until_the_first_is_answered(service: str, browser) -> None:
    """Sent while the first is on its way, a follow-up would be read without it; it stays in
    the input instead, and a placeholder shows the first is being looked up."""
    page = browser.new_page()
    # the first answer is held back until the follow-up has been typed and sent: on a warm
    # service it can otherwise arrive before the second Enter, and the test proves nothing
    held: list = []
    page.route("**/messages/stream", lambda route: held.append(route))
    page.goto(f"{service}/demo")
    page.get_by_role("button", name="政策咨询").click()
    before = page.locator(".jnt-bot").count()
    page.fill("#jnt-input", "失业保险交满一年，被辞退了，能领失业保险金吗？")
    page.keyboard.press("Enter")
    page.fill("#jnt-input", "那我老婆呢")
    page.keyboard.press("Enter")
    assert page.locator(".jnt-user").count() == 1
    assert page.input_value("#jnt-input") == "那我老婆呢"
    while not held:
        page.wait_for_timeout(50)
    held[0].continue_()
    reply = _reply(page, before)
    assert "失业保险" in reply.inner_text() or "失業保險" in reply.inner_text()
    assert page.locator(".jnt-user").count() == 1
    page.close()


def test_a_chat_is_handed_over_to_the_console_as_a_case(service: str, browser,
                                                       counselor_home) -> None:
    """A worker told the chat who and where they are; the counselor takes the chat over
    as a case and ranks from it without retyping."""
    import json
    import urllib.request

    def post(path: str, body: dict, token: str | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(f"{service}{path}", json.dumps(body).encode(),
                                         headers, method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    chat = post("/v1/chat/sessions", {})
    post(f"/v1/chat/sessions/{chat['session_id']}/messages",
         {"text": "我是退役军人，在江西赣州，想学电工"}, chat["token"])
    page = _console(browser, service)
    page.fill("input[name=session_id]", chat["session_id"])
    page.click("#from-chat")
    page.locator("#case-ref").filter(has_text="C-").wait_for()
    page.locator("#results > li").first.wait_for()
    assert "退役军人" in page.input_value("input[name=groups]")
    assert page.input_value("input[name=city]") == "赣州市"
    _shot(page, "console-chat-handed-over")
    page.close()


def test_the_api_docs_render_without_the_internet(service: str, browser) -> None:
    """A mini-program developer on a job center's intranet: /docs and /redoc load every
    asset from the service itself (FastAPI's defaults fetch them from a CDN)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def gate(route) -> None:
        if route.request.url.startswith(service):
            route.continue_()
            return
        # ReDoc's footer links its maker's logo (an image); nothing it needs to work may
        # come from outside
        if route.request.resource_type != "image":
            outside.append(route.request.url)
        route.abort()

    page.route("**/*", gate)
    page.goto(f"{service}/docs")
    page.locator(".swagger-ui .info .title").filter(has_text="技能通").wait_for()
    assert page.locator(".opblock").count() > 20  # every operation listed
    _shot(page, "api-docs")
    page.goto(f"{service}/redoc")
    page.locator("h1").filter(has_text="技能通").wait_for()
    assert outside == []
    page.close()
