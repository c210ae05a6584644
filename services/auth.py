"""Bearer-token authentication shared by Sparkhu's HTTP services.

Tokens are configured as entries ``name:scope:digest``: ``name`` identifies the caller (it is the actor of
every audit record), ``scope`` is ``read`` or ``admin`` (admin includes read), and ``digest`` is the
SHA-256 of the token in hex (:func:`hash_token`, ``sparkhu retention token hash``). Only digests are ever
stored: a request's token is hashed and compared with each digest in constant time. Entries are separated
by commas or newlines; in a file, blank lines and ``#`` comments are ignored. A file is read again when it
changes (a rotated Kubernetes Secret), and a file that became invalid refuses every request until fixed.
"""

# No `from __future__ import annotations` here: FastAPI reads the dependency's annotations at run time.
import hashlib
import hmac
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

Scope = Literal["read", "admin"]
SCOPES: dict[str, frozenset[str]] = {"read": frozenset({"read"}), "admin": frozenset({"read", "admin"})}
"""What each configured scope grants."""
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")

log = logging.getLogger(__name__)


class TokenConfigError(ValueError):
    """The configured tokens are missing or malformed (the message never contains a token or digest)."""


@dataclass(frozen=True)
class Token:
    """One configured token: who it is, what it may do, and the SHA-256 digest of its secret."""

    name: str
    scope: Scope
    digest: bytes


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request."""

    name: str
    scope: Scope


def hash_token(token: str) -> str:
    """The SHA-256 hex digest of a token: what a configuration entry stores instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_tokens(text: str, source: str) -> list[Token]:
    """The tokens of a configuration text (entries separated by commas or newlines).

    Raises:
        TokenConfigError: An entry is malformed, or a name or digest is given twice.
    """
    entries = [part.strip() for line in text.splitlines() for part in line.split("#", 1)[0].split(",")]
    tokens = [_entry(entry, f"{source}: entry {number}") for number, entry in enumerate(filter(None, entries), 1)]
    _check_unique(tokens, source)
    return tokens


def _check_unique(tokens: list[Token], source: str) -> None:
    """Refuse a name or a digest given twice (a digest twice would make the actor ambiguous)."""
    names = [token.name for token in tokens]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise TokenConfigError(f"{source}: token names given twice: {', '.join(twice)}")
    if len({token.digest for token in tokens}) != len(tokens):
        raise TokenConfigError(f"{source}: two entries have the same digest (one token, two names)")


def _entry(entry: str, where: str) -> Token:
    """One ``name:scope:digest`` entry (the error never echoes the entry: it may be a plain token)."""
    parts = entry.split(":")
    if len(parts) != 3:
        raise TokenConfigError(f"{where}: expected name:scope:sha256-hex (a plain token is refused: store its "
                               "digest, from `sparkhu retention token hash`)")
    name, scope, digest = parts
    if not _NAME.match(name):
        raise TokenConfigError(f"{where}: a name is 1-100 letters, digits, '.', '_', '@' or '-'")
    if scope not in SCOPES:
        raise TokenConfigError(f"{where} ({name}): unknown scope; known: {', '.join(SCOPES)}")
    if not _DIGEST.match(digest):
        raise TokenConfigError(f"{where} ({name}): the digest must be 64 hex digits (SHA-256)")
    return Token(name=name, scope=scope, digest=bytes.fromhex(digest))  # type: ignore[arg-type]


class TokenSource:
    """The tokens of an inline setting and an optional file, the file re-read whenever it changes.

    Args:
        inline: Entries given directly (an environment variable).
        file: A file of entries (a mounted Secret).
        names: The setting names, for messages (e.g. the environment variables).

    Raises:
        TokenConfigError: No token is configured, or the configuration is malformed.
    """

    def __init__(self, inline: str | None, file: Path | None, names: tuple[str, str] = ("tokens", "tokens file")):
        self.inline = inline or ""
        self.file = file
        self.names = names
        self._lock = threading.Lock()
        self._stamp: tuple[float, int] | None = None
        self._tokens: list[Token] = self._load()
        if not self._tokens:
            raise TokenConfigError(f"no tokens are configured: set {names[0]} or {names[1]} to name:scope:sha256 "
                                   "entries (see docs/retention.md)")

    def tokens(self) -> list[Token]:
        """The tokens in force (the file read again if it changed since).

        Raises:
            TokenConfigError: The file became unreadable or malformed.
        """
        if self.file is None or self._file_stamp() == self._stamp:
            return self._tokens
        with self._lock:
            self._tokens = self._load()
            log.info("re-read the token file %s: %d tokens", self.file, len(self._tokens))
        return self._tokens

    def _file_stamp(self) -> tuple[float, int] | None:
        try:
            stat = self.file.stat() if self.file else None
        except OSError:
            return None
        return (stat.st_mtime, stat.st_size) if stat else None

    def _load(self) -> list[Token]:
        tokens = parse_tokens(self.inline, self.names[0])
        if self.file is not None:
            self._stamp = self._file_stamp()
            try:
                text = self.file.read_text(encoding="utf-8")
            except OSError as error:
                reason = error.strerror or error
                raise TokenConfigError(f"{self.names[1]}: cannot read {self.file}: {reason}") from error
            tokens += parse_tokens(text, self.names[1])
            _check_unique(tokens, " and ".join(self.names))
        return tokens

    def authenticate(self, presented: str) -> Principal | None:
        """The caller a presented token belongs to, or None; every digest is compared, in constant time."""
        digest = hashlib.sha256(presented.encode("utf-8")).digest()
        found: Token | None = None
        for token in self.tokens():
            if hmac.compare_digest(digest, token.digest):
                found = token
        return Principal(found.name, found.scope) if found else None


def _challenge(realm: str, error: str = "", scope: str = "") -> dict[str, str]:
    """The ``WWW-Authenticate`` header of a refusal (RFC 6750)."""
    parts = [f'realm="{realm}"'] + [f'{key}="{value}"' for key, value in (("error", error), ("scope", scope)) if value]
    return {"WWW-Authenticate": "Bearer " + ", ".join(parts)}


class Authenticator:
    """FastAPI dependencies that demand a token with a scope: 401 without a valid one, 403 below the scope.

    Args:
        source: The configured tokens.
        realm: The realm named in ``WWW-Authenticate``.
        on_refusal: Called with ``missing``, ``invalid`` or ``scope`` for every refused request (metrics).
    """

    def __init__(self, source: TokenSource, realm: str, on_refusal: Callable[[str], None] = lambda _: None) -> None:
        self.source = source
        self.realm = realm
        self.on_refusal = on_refusal
        self.bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                                 description="`Authorization: Bearer <token>`; scopes `read` and `admin`.")

    def require(self, scope: Scope) -> Callable[..., Principal]:
        """A dependency that returns the caller when its token grants ``scope``."""

        def dependency(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(self.bearer)],
        ) -> Principal:
            return self.check(credentials, scope)

        return dependency

    def check(self, credentials: HTTPAuthorizationCredentials | None, scope: Scope) -> Principal:
        """The caller of ``credentials`` if it may act with ``scope``.

        Raises:
            HTTPException: 401 (no or an unknown token), 403 (the token lacks the scope), 503 (the token
                configuration became invalid).
        """
        if credentials is None or not credentials.credentials:
            self.on_refusal("missing")
            raise HTTPException(401, "a bearer token is required", headers=_challenge(self.realm))
        try:
            principal = self.source.authenticate(credentials.credentials)
        except TokenConfigError as error:
            log.error("refusing every request: %s", error)
            raise HTTPException(503, "the service's token configuration is invalid; see its log") from error
        if principal is None:
            self.on_refusal("invalid")
            raise HTTPException(401, "invalid token", headers=_challenge(self.realm, "invalid_token"))
        if scope not in SCOPES[principal.scope]:
            self.on_refusal("scope")
            raise HTTPException(403, f"the token {principal.name!r} lacks the scope {scope!r}",
                                headers=_challenge(self.realm, "insufficient_scope", scope))
        return principal
