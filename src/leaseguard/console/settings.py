"""What the console runs with: the cookie-signing secret, the session's time limits, the sign-in policy."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leaseguard.errors import InvalidInputError
from leaseguard.ingest.reading import ReadLimits
from leaseguard.usecases.people import PeoplePolicy
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang, lang_of

if TYPE_CHECKING:
    from leaseguard.enforcement.rules import ClaimRules
    from leaseguard.workspace import Workspace

SESSION_COOKIE = "leaseguard_session"
# Where the console keeps what it makes for people to download (a screened funding file's findings and summary),
# relative to the workspace.
SCREENS_FOLDER = Path("console") / "screens"
# The regulatory reports filed from the console (a folder per report id), relative to the workspace.
REPORTS_FOLDER = Path("console") / "reports"
# Balance sheets uploaded from the console (`<LESSOR>/<DAY>.xlsx`): the workspace's own folder, where
# `leaseguard report regulatory --lessor LESSOR --as-of DAY` reads them too.
BALANCE_SHEETS_FOLDER = Path("balance-sheets")


def _ephemeral_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    """The console's settings. Without a workspace (tests, `run_server`) the secret is made at random for the
    process, so sessions last as long as it does, and screens, filed reports and balance sheets are kept in a
    temporary folder of the process; `leaseguard serve` reads the workspace's secret file, shared by every
    worker, and keeps them under the workspace (SCREENS_FOLDER, REPORTS_FOLDER, BALANCE_SHEETS_FOLDER)."""

    secret: str = field(default_factory=_ephemeral_secret, repr=False)
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    secure_cookie: bool = False
    policy: PeoplePolicy = field(default_factory=PeoplePolicy)
    default_lang: Lang = DEFAULT_LANG
    # An uploaded funding file larger than this is refused before it is read.
    max_upload_mb: int = 20
    screens_dir: Path | None = None
    # Where filed reports' files and uploaded balance sheets are kept (None: a temporary folder of the process).
    reports_dir: Path | None = None
    balance_sheets_dir: Path | None = None
    # How far an uploaded workbook may expand (ingest.xlsx.*) and the largest plausible amount (import.*).
    read_limits: ReadLimits = field(default_factory=ReadLimits)
    max_amount_yuan: int | None = None
    max_term_months: int | None = None
    # The claim a case page shows is computed with these (the workspace's book settings); None: the shipped rules
    # with the default book settings, loaded on first use.
    claim_rules: ClaimRules | None = None
    # The workspace the server runs in: its `book:` settings for the daily runs started from /book and the API,
    # and the book export. None: the store's URL alone, with the shipped settings.
    workspace: Workspace | None = None
    # How long /analytics and /collections wait for what they compute in the background (a lessor's analytics, its
    # call list) before they show that it is coming and load it when ready: a page answers within this.
    first_view_wait_seconds: float = 0.2
    # /book/export.xlsx of a day with more of the lessor's contracts than this is written by a background job
    # (/jobs/{id}, then its download) instead of inside the request.
    export_inline_contracts: int = 2_000
    # The workspace's `book:` settings (how payments are allocated), for the analytics page's positions.
    book: dict[str, Any] = field(default_factory=dict)

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def idle_seconds(self) -> int:
        return self.session_idle_minutes * 60

    @property
    def max_seconds(self) -> int:
        return self.session_max_hours * 3600


def console_settings(workspace: Workspace) -> ConsoleSettings:
    """The workspace's `console:` settings and its session secret, each checked (WorkspaceError naming it)."""
    from leaseguard.enforcement.rules import ClaimRulesError
    from leaseguard.usecases.case_files import claim_rules
    from leaseguard.usecases.people import people_policy, whole_console_setting
    from leaseguard.workspace import CONFIG_FILE, WorkspaceError, console_secret

    secure = workspace.setting("console", "secure_cookie", default=False)
    if not isinstance(secure, bool):
        raise WorkspaceError(
            Label(
                "{file}：设置 console.secure_cookie 应为 true 或 false（现为 {value!r}）",
                "{file}: setting console.secure_cookie must be true or false (not {value!r})",
            ),
            file=workspace.root / CONFIG_FILE,
            value=secure,
        )
    try:
        lang = lang_of(workspace.setting("lang", default=DEFAULT_LANG))
    except ValueError:
        lang = DEFAULT_LANG  # the commands that read `lang` say what is wrong with it
    try:
        read_limits = ReadLimits.from_settings(workspace.setting("ingest", "xlsx", default=None))
    except InvalidInputError as error:
        raise WorkspaceError(
            Label("{file}：{problem}", "{file}: {problem}"),
            file=workspace.root / CONFIG_FILE,
            problem=Label(error.text("zh"), error.text("en")),
        ) from None
    max_amount = workspace.setting("import", "max_amount_yuan", default=None)
    max_term = workspace.setting("import", "max_term_months", default=None)
    try:
        rules = claim_rules(workspace)
    except ClaimRulesError as error:
        raise WorkspaceError(
            Label("{file}：{problem}", "{file}: {problem}"),
            file=workspace.root / CONFIG_FILE,
            problem=Label(error.text("zh"), error.text("en")),
        ) from None
    return ConsoleSettings(
        secret=console_secret(workspace),
        session_idle_minutes=whole_console_setting(workspace, "session_idle_minutes", 30, least=1, most=1440),
        session_max_hours=whole_console_setting(workspace, "session_max_hours", 12, least=1, most=720),
        secure_cookie=secure,
        policy=people_policy(workspace),
        default_lang=lang,
        max_upload_mb=whole_console_setting(workspace, "max_upload_mb", 20, least=1, most=2048),
        screens_dir=workspace.root / SCREENS_FOLDER,
        reports_dir=workspace.root / REPORTS_FOLDER,
        balance_sheets_dir=workspace.root / BALANCE_SHEETS_FOLDER,
        read_limits=read_limits,
        max_amount_yuan=max_amount
        if isinstance(max_amount, int) and not isinstance(max_amount, bool)
        else None,
        max_term_months=max_term if isinstance(max_term, int) and not isinstance(max_term, bool) else None,
        claim_rules=rules,
        workspace=workspace,
        first_view_wait_seconds=whole_console_setting(
            workspace, "first_view_wait_ms", 200, least=0, most=600_000
        )
        / 1000,
        export_inline_contracts=whole_console_setting(
            workspace, "export_inline_contracts", 2_000, least=0, most=100_000_000
        ),
        book=dict(book) if isinstance(book := workspace.setting("book", default={}), dict) else {},
    )
