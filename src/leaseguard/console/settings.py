"""What the console runs with: the cookie-signing secret, the session's time limits, the sign-in policy."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from leaseguard.usecases.people import PeoplePolicy
from leaseguard.vocabulary import DEFAULT_LANG, Label, Lang, lang_of

if TYPE_CHECKING:
    from leaseguard.workspace import Workspace

SESSION_COOKIE = "leaseguard_session"


def _ephemeral_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    """The console's settings. Without a workspace (tests, `run_server`) the secret is made at random for the
    process, so sessions last as long as it does; `leaseguard serve` reads the workspace's secret file, shared
    by every worker."""

    secret: str = field(default_factory=_ephemeral_secret, repr=False)
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    secure_cookie: bool = False
    policy: PeoplePolicy = field(default_factory=PeoplePolicy)
    default_lang: Lang = DEFAULT_LANG

    @property
    def idle_seconds(self) -> int:
        return self.session_idle_minutes * 60

    @property
    def max_seconds(self) -> int:
        return self.session_max_hours * 3600


def console_settings(workspace: Workspace) -> ConsoleSettings:
    """The workspace's `console:` settings and its session secret, each checked (WorkspaceError naming it)."""
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
    return ConsoleSettings(
        secret=console_secret(workspace),
        session_idle_minutes=whole_console_setting(workspace, "session_idle_minutes", 30, least=1, most=1440),
        session_max_hours=whole_console_setting(workspace, "session_max_hours", 12, least=1, most=720),
        secure_cookie=secure,
        policy=people_policy(workspace),
        default_lang=lang,
    )
