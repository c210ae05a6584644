"""Token configuration: only digests, strict entries whose errors never echo a secret, a file re-read when
it changes (a rotated Secret), and refusal of every request once that file is broken."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from fastapi import HTTPException
from fastapi.security import HTTPAuthorizationCredentials

from services.auth import Authenticator, Principal, TokenConfigError, TokenSource, hash_token, parse_tokens

DIGEST = hash_token("s3cret")


def credentials(token: str) -> HTTPAuthorizationCredentials:
    return HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)


def test_entries_are_separated_by_commas_or_lines_and_comments_are_ignored() -> None:
    text = f"# the CI\nci:admin:{DIGEST}\n\nviewer:read:{hash_token('other')} , grafana:read:{hash_token('g')}  # dash"
    tokens = parse_tokens(text, "file")
    assert [(token.name, token.scope) for token in tokens] == [("ci", "admin"), ("viewer", "read"), ("grafana", "read")]
    assert tokens[0].digest == bytes.fromhex(DIGEST)
    assert hashlib.sha256(b"s3cret").hexdigest() == DIGEST


@pytest.mark.parametrize(("text", "message"), [
    ("plain-secret-token", "a plain token is refused"),
    (f"ci:root:{DIGEST}", "unknown scope"),
    ("ci:admin:abc123", "64 hex digits"),
    (f"c i:admin:{DIGEST}", "a name is"),
    (f"ci:admin:{DIGEST},ci:read:{hash_token('x')}", "token names given twice: ci"),
    (f"ci:admin:{DIGEST},cd:read:{DIGEST}", "the same digest"),
])  # fmt: skip
def test_malformed_entries_are_refused_without_echoing_them(text: str, message: str) -> None:
    with pytest.raises(TokenConfigError, match=message) as raised:
        parse_tokens(text, "SPARKHU_RETENTION_TOKENS")
    assert "plain-secret-token" not in str(raised.value) and DIGEST not in str(raised.value)


def test_no_token_at_all_is_refused() -> None:
    with pytest.raises(TokenConfigError, match="no tokens are configured"):
        TokenSource("", None)
    with pytest.raises(TokenConfigError, match="cannot read"):
        TokenSource(None, Path("/nonexistent/tokens"))


def test_a_token_authenticates_as_its_name_and_scope() -> None:
    source = TokenSource(f"ci:admin:{DIGEST}", None)
    assert source.authenticate("s3cret") == Principal("ci", "admin")
    assert source.authenticate("s3cret ") is None
    assert source.authenticate(DIGEST) is None  # the digest itself is no token


def test_the_file_is_read_again_when_it_changes_and_a_broken_file_refuses_everything(tmp_path: Path) -> None:
    file = tmp_path / "tokens"
    file.write_text(f"ci:admin:{DIGEST}\n")
    source = TokenSource(None, file)
    auth = Authenticator(source, "test")
    assert auth.check(credentials("s3cret"), "admin").name == "ci"
    file.write_text(f"ci:read:{DIGEST}\nnew:admin:{hash_token('rotated')}\n")
    os.utime(file, (1, 1))  # a different stamp even within the file system's time resolution
    with pytest.raises(HTTPException) as refused:
        auth.check(credentials("s3cret"), "admin")
    assert refused.value.status_code == 403
    assert auth.check(credentials("rotated"), "admin").name == "new"
    file.write_text("broken")
    os.utime(file, (2, 2))
    with pytest.raises(HTTPException) as broken:
        auth.check(credentials("rotated"), "read")
    assert broken.value.status_code == 503


def test_inline_and_file_tokens_combine_but_names_stay_unique(tmp_path: Path) -> None:
    file = tmp_path / "tokens"
    file.write_text(f"ci:read:{hash_token('x')}\n")
    source = TokenSource(f"ops:admin:{DIGEST}", file)
    assert {token.name for token in source.tokens()} == {"ops", "ci"}
    with pytest.raises(TokenConfigError, match="names given twice: ci"):
        TokenSource(f"ci:admin:{DIGEST}", file)
