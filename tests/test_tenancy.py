"""Lessors and API keys on both engines: key format, hashing, authentication, revocation, the role table."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from leaseguard.store.db import session_factory
from leaseguard.store.models import ApiKey
from leaseguard.tenancy import (
    PERMISSIONS,
    ROLES,
    Action,
    LessorConflictError,
    Principal,
    TenancyError,
    UnknownKeyError,
    UnknownLessorError,
    UnknownRoleError,
    add_lessor,
    authenticate,
    create_key,
    is_allowed,
    list_keys,
    list_lessors,
    revoke_key,
)
from leaseguard.tenancy.service import parse_key


@pytest.fixture
def session(store_engine: Engine) -> Iterator[Session]:
    with session_factory(store_engine)() as session:
        add_lessor(session, "ALPHA", "Alpha Financial Leasing Co., Ltd.")
        add_lessor(session, "BETA", "贝塔融资租赁有限公司")
        session.commit()
        yield session


def test_public_roles_are_exactly_these() -> None:
    assert ROLES == ("analyst", "compliance", "legal", "admin")


def test_every_role_has_a_permission_entry_and_only_overseers_read_imports() -> None:
    assert set(PERMISSIONS) == set(ROLES)
    assert [role for role in ROLES if is_allowed(role, Action.READ_IMPORTS)] == ["compliance", "admin"]
    assert all(is_allowed(role, Action.READ_CONTRACTS) for role in ROLES)
    assert not is_allowed("root", Action.READ_CONTRACTS)


def test_add_lessor_is_idempotent_for_the_same_name_and_refuses_another(session: Session) -> None:
    again = add_lessor(session, "ALPHA", "Alpha Financial Leasing Co., Ltd.")
    assert again.name == "Alpha Financial Leasing Co., Ltd."
    assert [lessor.code for lessor in list_lessors(session)] == ["ALPHA", "BETA"]
    with pytest.raises(LessorConflictError, match="已存在") as caught:
        add_lessor(session, "ALPHA", "Another Name")
    assert "already exists with the name 'Alpha Financial Leasing Co., Ltd.'" in caught.value.text("en")


@pytest.mark.parametrize("code", ["", "has space", "x" * 33, "-leading"])
def test_add_lessor_rejects_bad_codes(session: Session, code: str) -> None:
    with pytest.raises(TenancyError):
        add_lessor(session, code, "Some Name")


def test_created_key_has_the_documented_shape_and_authenticates(session: Session) -> None:
    issued = create_key(session, lessor="ALPHA", role="analyst", label="risk desk")
    session.commit()
    assert issued.key.startswith(f"lg_{issued.prefix}_")
    assert parse_key(issued.key) == (issued.prefix, issued.key.split("_", 2)[2])
    assert issued.key not in repr(issued)
    assert authenticate(session, issued.key) == Principal(
        lessor="ALPHA", role="analyst", key_prefix=issued.prefix
    )


def test_only_the_hash_of_the_secret_is_stored(session: Session) -> None:
    issued = create_key(session, lessor="BETA", role="admin")
    session.commit()
    secret = issued.key.split("_", 2)[2]
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == issued.prefix))
    assert row is not None
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = session.execute(text("select * from api_keys")).all()
    assert stored
    for values in stored:
        for value in values:
            assert secret not in str(value)


def test_keys_are_unique(session: Session) -> None:
    keys = [create_key(session, lessor="ALPHA", role="legal") for _ in range(20)]
    assert len({key.prefix for key in keys}) == 20
    assert len({key.key for key in keys}) == 20


def test_unknown_role_or_lessor_is_a_clear_value_error(session: Session) -> None:
    with pytest.raises(UnknownRoleError, match="analyst, compliance, legal, admin") as role_error:
        create_key(session, lessor="ALPHA", role="superuser")
    with pytest.raises(UnknownLessorError, match="'GAMMA'") as lessor_error:
        create_key(session, lessor="GAMMA", role="analyst")
    assert isinstance(role_error.value, ValueError)
    assert isinstance(lessor_error.value, ValueError)


def test_wrong_malformed_or_revoked_keys_do_not_authenticate(session: Session) -> None:
    issued = create_key(session, lessor="ALPHA", role="compliance")
    other = create_key(session, lessor="BETA", role="compliance")
    session.commit()
    prefix, secret = issued.key.split("_", 2)[1:]
    other_secret = other.key.split("_", 2)[2]
    for presented in (
        "",
        "lg_",
        "not-a-key",
        f"lg_{prefix}_{other_secret}",  # a real secret under the wrong prefix
        f"lg_{'0' * 12}_{secret}",  # unknown prefix
        f"lg_{prefix}_{secret[:-1]}",
        f"xx_{prefix}_{secret}",
    ):
        assert authenticate(session, presented) is None, presented
    revoked = revoke_key(session, issued.prefix)
    session.commit()
    assert revoked.revoked_at is not None and not revoked.active
    assert authenticate(session, issued.key) is None
    assert authenticate(session, other.key) is not None
    # revoking twice keeps the first time
    assert revoke_key(session, issued.prefix).revoked_at == revoked.revoked_at


def test_list_keys_by_lessor_and_revoke_unknown(session: Session) -> None:
    alpha = create_key(session, lessor="ALPHA", role="analyst", label="a")
    beta = create_key(session, lessor="BETA", role="legal")
    assert {key.prefix for key in list_keys(session)} == {alpha.prefix, beta.prefix}
    listed = list_keys(session, lessor="BETA")
    assert [(key.prefix, key.role, key.label, key.active) for key in listed] == [
        (beta.prefix, "legal", None, True)
    ]
    with pytest.raises(UnknownLessorError):
        list_keys(session, lessor="NOPE")
    with pytest.raises(UnknownKeyError):
        revoke_key(session, "ffffffffffff")
