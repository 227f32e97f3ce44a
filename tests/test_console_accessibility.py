"""Every console page checked by axe-core (tests/vendor/axe-core, run inside Debian's chromium; skipped where
chromium is missing) against WCAG 2.0 and 2.1, levels A and AA, and axe's best practices: names and labels,
contrast, landmarks, the order of headings, tables, the page's language, unique ids. A failure lists each
rule broken, how much it matters, what to do and the first elements that break it. Chinese pages, and the main
ones in English too; with `--screenshots`, a picture of each under tests/screenshots/ (console_a11y_*.png).
Also what axe does not judge: the focus ring's contrast.

One console and one browser serve the whole module: the look-up book (tests/lookup_book.py) and a funding file
of leaseguard.synth's trucks screened, with a decision waiting for its checker; a promise to pay broken
(collections_world)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from applications_world import application_form, trained_models, valid_resident_id
from browser import VIEWPORT, chromium_browser, shot
from collections_world import Desk, seed_collections
from console_world import (
    PASSWORD,
    Console,
    balance_sheet_workbook,
    csrf_of,
    financial_leasing,
    finished_daily_run,
    served_console,
    signed_in,
)
from funding_world import FORGED_ID, add_users, alpha_fleet, funding_file, register_forgery
from lookup_book import FIRM, OVERDUE, RUN_DAYS, new_signer
from tracking_world import track_asset

AXE_FOLDER = Path(__file__).parent / "vendor" / "axe-core"
AXE = AXE_FOLDER / "axe.min.js"
# Where the pages fetch axe from: a path of the console's own origin that the test's browser answers itself
# (the console has no such page). Fetched from a URL the browser may cache, the 500 kB script costs the walk
# about 4.6 s over its 81 injections; sent inline into every page, 8.3 s.
AXE_URL_PATH = "/__test-only__/axe.min.js"
# WCAG 2.0 and 2.1, A and AA; and axe's best practices, which hold the rules on landmarks (region,
# landmark-*), the order of headings (heading-order) and one h1 a page (page-has-heading-one).
RULE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
NODES_SHOWN = 3


@dataclass(frozen=True)
class World:
    console: Console
    screen_path: str  # the screen of the funding file
    forged_path: str  # its forged truck, with a decision to fund it waiting for a checker
    desk: Desk  # the collections desk: a broken promise to pay on the last contract of a tier
    job_path: str  # a daily run started by ALPHA's admin, finished


def main_of(answer: httpx.Response) -> str:
    """The page's main part: what it says when it refuses."""
    return answer.text[answer.text.find("<main") :][:1500]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("console-accessibility")
    # No evidence signer of the console's own: the book's records were deposited under the book's signer, and a
    # log takes one signer only.
    with served_console(folder, credit_models=trained_models()) as console:
        desk = seed_collections(console.engine, folder / "book", new_signer())
        register_forgery(console.engine)
        track_asset(console.engine, "ALPHA", "A-DIG-1", "13800138001")  # OVERDUE's page has 租赁物位置
        add_users(console.engine, ("eve", "ALPHA", "compliance"))  # reads the console in English
        with closing(signed_in(console, "ann")) as client:
            upload = client.get("/assets/screen")
            with funding_file(folder / "funding.csv").open("rb") as handle:
                answer = client.post(
                    "/assets/screen",
                    data={"csrf_token": csrf_of(upload)},
                    files={"file": ("funding.csv", handle, "text/csv")},
                )
            assert answer.status_code == 303, main_of(answer)
            screen_path = answer.headers["location"]
            screen = client.get(screen_path)
            found = re.search(rf'href="({re.escape(screen_path)}/assets/\d+)">{FORGED_ID}<', screen.text)
            assert found, screen.text[:500]
            forged_path = found.group(1)
            asset = client.get(forged_path)
            decided = client.post(
                f"{forged_path}/decisions",
                data={"csrf_token": csrf_of(asset), "decision": "fund", "comment": "现场核验车辆与发票"},
            )
            assert decided.status_code == 303, main_of(decided)
            applications = client.get("/applications")
            form = application_form(valid_resident_id("11010519850615001"))
            credit = client.post("/applications", data={**form, "csrf_token": csrf_of(applications)})
            assert credit.status_code == 200, main_of(credit)
        # ALPHA's indicators: its balance sheet of the last run day uploaded and a report filed by compliance.
        financial_leasing(console.engine, "ALPHA")
        day = RUN_DAYS[-1]
        workbook = balance_sheet_workbook(console.engine, "ALPHA", day, folder / "balance-sheet.xlsx")
        with closing(signed_in(console, "cai")) as client:
            page = client.get("/indicators")
            sent = client.post(
                "/indicators/balance-sheet",
                data={"csrf_token": csrf_of(page)},
                files={"file": (workbook.name, workbook.read_bytes(), "application/octet-stream")},
            )
            assert sent.status_code == 303, main_of(sent)
            filed = client.post(
                "/indicators/reports", data={"csrf_token": csrf_of(page), "as_of": day.isoformat()}
            )
            assert filed.status_code == 303, main_of(filed)
        job_id = finished_daily_run(console.base, console.admin_key, "2024-12-31")
        yield World(console, screen_path, forged_path, desk, f"/jobs/{job_id}")


class Visitors:
    """One browser; a context per user, signed in once (eve switched to English with the header's button), and
    one tab in it that each test navigates: a page is a new document, as a new tab would give, without starting
    a renderer process for every page (most of what chromium spent on the walk)."""

    def __init__(self, browser: Any, base: str) -> None:
        self.browser, self.base = browser, base
        self.tabs: dict[str | None, Any] = {}

    def page(self, username: str | None) -> Any:
        """`username`'s tab (None: of a context that never signs in), on a blank document."""
        if username not in self.tabs:
            # axe is injected as a script of the page's own, which the pages' content security policy would refuse.
            context = self.browser.new_context(viewport=VIEWPORT, bypass_csp=True)
            script = AXE.read_bytes()
            context.route(
                f"{self.base}{AXE_URL_PATH}",
                lambda route: route.fulfill(
                    body=script, content_type="text/javascript", headers={"Cache-Control": "max-age=3600"}
                ),
            )
            page = context.new_page()
            if username is not None:
                page.goto(f"{self.base}/login")
                page.get_by_label("用户名").fill(username)
                page.get_by_label("密码").fill(PASSWORD)
                page.get_by_role("button", name="登录").click()
                page.wait_for_url(f"{self.base}/")
                if username == "eve":
                    page.get_by_role("button", name="English").click()
                    page.get_by_role("button", name="Sign out").wait_for()
            self.tabs[username] = page
        tab = self.tabs[username]
        tab.goto("about:blank")  # nothing of the last test's document is left to be seen or audited
        return tab


@pytest.fixture(scope="module")
def visitors(world: World) -> Iterator[Visitors]:
    with chromium_browser() as browser:
        visiting = Visitors(browser, world.console.base)
        try:
            yield visiting
        finally:
            for tab in visiting.tabs.values():
                tab.context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """What axe finds wrong with the page as it stands, by the rules of RULE_TAGS."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(url=AXE_URL_PATH)
    options = {"runOnly": {"type": "tag", "values": RULE_TAGS}, "resultTypes": ["violations"]}
    result: dict[str, Any] = page.evaluate("options => axe.run(document, options)", options)
    return list(result["violations"])


def described(violations: list[dict[str, Any]]) -> str:
    """Each violation as a person fixing it needs it: rule, impact, what to do, where."""
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}"
        )
        for node in violation["nodes"][:NODES_SHOWN]:
            # The summary is "Fix any of the following:" (or "all") and the checks that failed: the first says it.
            checks = [
                line.strip() for line in node["failureSummary"].splitlines() if not line.startswith("Fix ")
            ]
            lines.append(f"    {' '.join(map(str, node['target']))}: {checks[0] if checks else ''}")
        if len(violation["nodes"]) > NODES_SHOWN:
            lines.append(f"    … and {len(violation['nodes']) - NODES_SHOWN} more")
    return "\n".join(lines)


def audit(page: Any, name: str) -> None:
    """A screenshot of the page (with `--screenshots`), then no axe violation on it."""
    shot(page, f"a11y_{name}")
    violations = axe_violations(page)
    assert not violations, f"{page.url}:\n{described(violations)}"


def test_the_vendored_axe_is_the_one_its_notice_names() -> None:
    notice = (AXE_FOLDER / "NOTICE").read_text(encoding="utf-8")
    digest = hashlib.sha256(AXE.read_bytes()).hexdigest()
    assert f"sha256 {digest}  axe.min.js" in notice
    version = re.search(r"axe-core (\d+\.\d+\.\d+) \(npm package axe-core@\1", notice)
    assert version and AXE.read_text(encoding="utf-8").startswith(f"/*! axe v{version.group(1)}")
    assert "Mozilla Public License" in (AXE_FOLDER / "LICENSE").read_text(encoding="utf-8")


# name, user (None: signed out), path (with {screen} and {forged} filled in), status, an element the page
# shows only once complete (htmx content loaded). ann is an analyst, cai and eve compliance, eve in English, ada
# ALPHA's admin.
PAGES = [
    ("login", None, "/login", 200, None),
    ("overview", "ann", "/", 200, "#classes-chart"),
    ("asset_check", "ann", "/assets/check", 200, None),
    ("funding_upload", "ann", "/assets/screen", 200, None),
    ("funding_screen", "ann", "{screen}", 200, None),
    ("funding_asset", "ann", "{forged}", 200, None),
    ("funding_asset_checker", "cai", "{forged}", 200, "#approval form"),  # ann's decision, cai may approve
    ("funding_pending", "cai", "/assets/decisions", 200, None),
    ("search", "ann", "/search?q=华东物流", 200, None),
    ("search_contracts", "ann", "/search?q=AL-FLEET&kind=contract_no", 200, None),
    ("search_too_short", "ann", "/search?q=张", 422, "#f-q-error"),
    ("lessee", "ann", f"/lessees/{FIRM}", 200, None),
    ("contract", "ann", f"/contracts/{OVERDUE}", 200, None),
    ("contract_positions", "ann", f"/contracts/{OVERDUE}#positions", 200, "#positions svg.track"),
    ("imports", "cai", "/imports", 200, None),
    ("book", "ann", "/book", 200, None),
    ("book_filtered", "ann", "/book?class=special_mention&dpd=dpd_1_29", 200, None),
    ("book_refused", "ann", "/book?class=bad&region=99", 422, "#f-class-error"),
    ("book_admin", "ada", "/book", 200, None),
    ("job", "ada", "{job}", 200, "#job-progress"),
    ("cases", "ann", "/cases", 200, None),
    ("cases_generate", "ada", "/cases", 200, "#f-contracts"),
    ("case", "ann", "/cases/1", 200, None),
    ("evidence", "ann", "/evidence", 200, None),
    ("collections", "ann", "/collections", 200, None),
    ("collections_tier", "ann", "/collections?tier={tier}", 200, ".raised"),
    ("collections_bad_tier", "ann", "/collections?tier=nope", 422, "#f-tier-error"),
    ("contract_calls", "ann", "/contracts/{raised}#calls", 200, "#record-call"),
    ("contract_calls_reader", "cai", "/contracts/{raised}#calls", 200, "#calls tbody"),
    ("evidence_verify", "ann", "/evidence/verify", 200, None),
    ("applications", "ann", "/applications", 200, None),
    ("applications_decision", "ann", "/applications/decisions/1", 200, None),
    ("applications_drift", "ann", "/applications/drift", 200, None),
    ("applications_policy", "ann", "/applications/policy", 200, None),
    ("applications_policy_compliance", "cai", "/applications/policy", 200, "#f-policy_text"),
    ("analytics", "ann", "/analytics", 200, ".analytics-chart"),
    ("analytics_bad_date", "ann", "/analytics?as_of=31/12/2024", 422, "#f-as_of-error"),
    ("admin_users", "ada", "/admin", 200, None),
    ("admin_user", "ada", "/admin/users/ann", 200, None),
    ("admin_self", "ada", "/admin/users/ada", 200, None),
    ("admin_keys", "ada", "/admin/keys", 200, None),
    ("admin_lessor", "ada", "/admin/lessor", 200, None),
    ("admin_imports", "ada", "/admin/imports", 200, None),
    ("admin_forbidden", "cai", "/admin", 403, None),
    ("indicators", "cai", "/indicators", 200, None),  # with the forms to file and upload
    ("indicators_analyst", "ann", "/indicators", 200, None),
    ("not_found", "ann", "/contracts/BE-2024-001", 404, None),
    ("forbidden", "ann", "/imports", 403, None),
    ("signed_out_not_found", None, "/no-such-page", 404, None),
    ("en_overview", "eve", "/", 200, "#classes-chart"),
    ("en_contract", "eve", f"/contracts/{OVERDUE}", 200, None),
    ("en_funding_asset", "eve", "{forged}", 200, None),
    ("en_funding_pending", "eve", "/assets/decisions", 200, None),
    ("en_case", "eve", "/cases/1", 200, None),
    ("en_collections", "eve", "/collections?tier={tier}", 200, ".raised"),
    ("en_book", "eve", "/book", 200, None),
    ("en_applications", "eve", "/applications", 200, None),
    ("en_applications_drift", "eve", "/applications/drift", 200, None),
    ("en_applications_policy", "eve", "/applications/policy", 200, "#f-policy_text"),
    ("en_analytics", "eve", "/analytics", 200, ".analytics-chart"),
    ("en_indicators", "eve", "/indicators", 200, None),
]


@pytest.mark.parametrize(("name", "user", "path", "status", "ready"), PAGES, ids=[page[0] for page in PAGES])
def test_page_has_no_accessibility_violations(
    world: World, visitors: Visitors, name: str, user: str | None, path: str, status: int, ready: str | None
) -> None:
    page = visitors.page(user)
    answer = page.goto(
        world.console.base
        + path.format(
            screen=world.screen_path,
            forged=world.forged_path,
            tier=world.desk.tier,
            raised=world.desk.raised,
            job=world.job_path,
        )
    )
    assert answer is not None and answer.status == status
    if ready:
        page.locator(ready).first.wait_for()
    expected_lang = "en" if user == "eve" else "zh-CN"
    assert page.evaluate("document.documentElement.lang") == expected_lang
    audit(page, name)


def test_axe_finds_what_a_page_gets_wrong(world: World, visitors: Visitors) -> None:
    """The check is live: the asset check page spoilt in the browser (a field without a label, pale text, no
    language, a heading that skips a level) is found wrong on each count, with the elements to fix."""
    page = visitors.page("ann")
    page.goto(f"{world.console.base}/assets/check")
    assert axe_violations(page) == []
    page.evaluate(
        """() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend',
                '<input id="unlabelled" type="text"><p id="pale" style="color:#b0b0b0">浅灰色的字</p>'
                + '<h5 id="skipped">跳级的标题</h5>');
            document.documentElement.removeAttribute('lang');
        }"""
    )
    violations = axe_violations(page)
    found = {violation["id"] for violation in violations}
    assert {"label", "color-contrast", "html-has-lang", "heading-order"} <= found, found
    told = described(violations)
    assert all(target in told for target in ("#unlabelled", "#pale", "#skipped", "html")), told


def test_a_contract_after_htmx_swapped_a_page_of_its_schedule(world: World, visitors: Visitors) -> None:
    page = visitors.page("ann")
    page.goto(f"{world.console.base}/contracts/{OVERDUE}")
    page.locator("#schedule").get_by_role("link", name="下一页 →").click()
    page.locator("#schedule").get_by_text("第 13–24 条").wait_for()
    audit(page, "contract_schedule_page_2")


FOCUS_RING = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    let behind = el.parentElement;  // the ring is drawn outside the element, on what lies behind it
    while (behind && getComputedStyle(behind).backgroundColor === 'rgba(0, 0, 0, 0)') behind = behind.parentElement;
    return {
        element: el.tagName + (el.id ? '#' + el.id : '') + ' ' + (el.textContent || '').trim().slice(0, 20),
        style: style.outlineStyle, width: parseFloat(style.outlineWidth), colour: style.outlineColor,
        behind: behind ? getComputedStyle(behind).backgroundColor : 'rgb(255, 255, 255)',
    };
}"""


def contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio of two opaque CSS colours given as rgb(r, g, b)."""

    def luminance(colour: str) -> float:
        channels = [int(value) / 255 for value in re.findall(r"\d+", colour)[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("path", ["/", "/assets/check"])
def test_the_focus_ring_stands_out_from_what_lies_behind_it(
    world: World, visitors: Visitors, path: str
) -> None:
    """axe does not judge the focus ring (WCAG 2.1, 1.4.11: 3:1 for a component's state): each stop of the
    keyboard on the way through the header and into the page shows a ring of 2 px at least, 3:1 at least."""
    page = visitors.page("ann")
    page.goto(world.console.base + path)
    rings = []
    for _ in range(40):  # through every link of the header, the search and its button
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_RING)
        if not ring["element"].startswith("BODY"):  # past the page's last stop: back to the browser
            rings.append(ring)
    assert {ring["element"].split(" ")[0] for ring in rings} >= {"A", "BUTTON", "INPUT#top-search-q"}
    weak = [ring for ring in rings if ring["style"] == "none" or ring["width"] < 2]
    weak += [ring for ring in rings if contrast(ring["colour"], ring["behind"]) < 3]
    assert not weak, weak


def test_import_run_page(world: World, visitors: Visitors) -> None:
    page = visitors.page("cai")
    answer = page.goto(f"{world.console.base}/imports/{world.console.alpha_run}")
    assert answer is not None and answer.status == 200
    audit(page, "import_run")


@pytest.mark.parametrize("user", ["ann", "eve"])
def test_asset_check_with_a_blocked_result_and_a_malformed_vin(
    world: World, visitors: Visitors, user: str
) -> None:
    fleet = alpha_fleet()
    forged, typo = fleet[int(FORGED_ID[1:]) - 1]["vin"], fleet[-1]["vin"]
    english = user == "eve"
    page = visitors.page(user)
    page.goto(f"{world.console.base}/assets/check")
    vin = page.get_by_label("VIN" if english else "VIN（车架号）", exact=True)
    vin.fill(forged)
    page.get_by_role("button", name="Check" if english else "核查", exact=True).click()
    page.locator("#check-result .badge.bad").first.wait_for()  # blocked: BETA has the same VIN
    audit(page, f"{'en_' if english else ''}asset_check_blocked")

    vin.fill(typo)
    vin.press("Enter")
    page.locator("#f-vin-error").wait_for()
    audit(page, f"{'en_' if english else ''}asset_check_malformed_vin")


def test_a_refused_upload_says_why_beside_the_field(world: World, visitors: Visitors, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a table", encoding="utf-8")
    page = visitors.page("ann")
    page.goto(f"{world.console.base}/assets/screen")
    page.get_by_label("放款文件", exact=True).set_input_files(str(notes))
    page.get_by_role("button", name="上传并筛查").click()
    page.locator("#f-file-error").wait_for()
    audit(page, "funding_upload_refused")


def test_indicators_what_if_refused_and_worked_out(world: World, visitors: Visitors) -> None:
    page = visitors.page("ann")
    page.goto(f"{world.console.base}/indicators")
    form = page.locator("#what-if form")
    form.get_by_label("承租人证件号").fill("NEW-LESSEE")
    form.get_by_label("投放金额（元）").fill("12.345")
    form.get_by_role("button", name="测算").click()
    page.locator("#w-principal-error").wait_for()
    audit(page, "indicators_what_if_refused")
    form = page.locator("#what-if form")
    form.get_by_label("投放金额（元）").fill("300000")
    form.get_by_role("button", name="测算").click()
    page.locator("#wi-car").wait_for()
    audit(page, "indicators_what_if")


def test_a_refused_sign_in_says_why(world: World, visitors: Visitors) -> None:
    page = visitors.page(None)
    page.goto(f"{world.console.base}/login")
    page.get_by_label("用户名").fill("nobody")  # not ann: her failed sign-ins would count towards a lock
    page.get_by_label("密码").fill("not the password")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("alert").wait_for()
    audit(page, "login_refused")


def test_applications_decided_refused_and_a_policy_tried(world: World, visitors: Visitors) -> None:
    """/applications with a decision swapped in by htmx and with a refused form; a policy tried and one refused."""
    from leaseguard.credit.policy import shipped_policy_text

    page = visitors.page("ann")
    page.goto(f"{world.console.base}/applications")
    form = application_form(valid_resident_id("31010419770303003"))
    page.get_by_label("证件号码（身份证或统一社会信用代码）").fill(form["applicant_id"])
    page.get_by_label("申报年龄（岁）").fill(form["stated_age"])
    page.get_by_label("月收入（元）").fill(form["monthly_income_yuan"])
    page.get_by_label("申请金额（元）").fill(form["requested_amount_yuan"])
    page.get_by_label("期限（月）").fill(form["term_months"])
    page.get_by_role("button", name="审批", exact=True).click()
    page.locator("#decision-result").wait_for()
    audit(page, "applications_decided")
    page.get_by_label("期限（月）").fill("0")
    page.get_by_role("button", name="审批", exact=True).click()
    page.locator("#f-term_months-error").wait_for()
    audit(page, "applications_refused")
    page = visitors.page("cai")
    page.goto(f"{world.console.base}/applications/policy")
    text = shipped_policy_text().replace('"mh_lenders_30d > 3"', '"mh_lenders_30d > 1"')
    page.get_by_label("政策（YAML）").fill(text)
    page.get_by_role("button", name="试算").click()
    page.locator("#trial").wait_for()
    audit(page, "applications_policy_trial")
    page.get_by_label("政策（YAML）").fill(text.replace("mh_lenders_30d > 1", "mh_lenders_30dd > 1"))
    page.get_by_role("button", name="试算").click()
    page.locator("#rule-error").wait_for()
    audit(page, "applications_policy_refused")


def test_analytics_with_a_table_opened(world: World, visitors: Visitors) -> None:
    page = visitors.page("ann")
    page.goto(f"{world.console.base}/analytics")
    chart = page.locator(".analytics-chart").first
    chart.wait_for()
    chart.locator("summary").click()
    chart.locator("table").wait_for()
    audit(page, "analytics_table_open")


def test_admin_forms_in_the_states_an_admin_sees(world: World, visitors: Visitors, tmp_path: Path) -> None:
    """A refused new user (messages beside the fields), a key just issued (its secret shown once), an upload
    with a rejected row (the row's file, line, field and reason)."""
    contracts = tmp_path / "contracts-a11y.csv"
    contracts.write_text(
        "contract_no,lessor,lessee_id,lessee_name,lessee_type,start_date,term_months,principal,annual_rate,method,"
        f"frequency\nAL-A11Y-1,ALPHA,{FIRM},华东物流有限公司,enterprise,2024-13-01,12,1000.00,0.06,annuity,monthly\n",
        encoding="utf-8",
    )
    page = visitors.page("ada")
    page.goto(f"{world.console.base}/admin")
    form = page.locator("form[aria-labelledby=new-user-h]")
    form.get_by_label("用户名").fill("-bad")
    form.get_by_label("密码", exact=True).fill("short")
    form.get_by_label("再次输入密码").fill("short")
    form.get_by_role("button", name="创建用户").click()
    page.locator("#f-username-error").wait_for()
    audit(page, "admin_user_refused")

    page.goto(f"{world.console.base}/admin/keys")
    page.get_by_role("button", name="创建密钥").click()
    page.locator("#issued-secret").wait_for()
    audit(page, "admin_key_issued")

    page.goto(f"{world.console.base}/admin/imports")
    page.get_by_label("数据文件", exact=True).set_input_files(str(contracts))
    page.get_by_role("button", name="上传并导入").click()
    page.locator("#row-errors").wait_for()
    audit(page, "admin_import_rejected_row")
