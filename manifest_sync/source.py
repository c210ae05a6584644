"""The git source: a shallow fetch of one branch into a local working copy, with token or SSH key auth.

Credentials come from files (mounted Kubernetes Secrets) and are re-read on every fetch, so a rotated
secret is picked up without a restart. They reach git through environment variables only, never the
command line, where any process in the container could read them.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

TOKEN_FILE_ENV = "SPARKHU_SYNC_GIT_TOKEN_FILE"
SSH_KEY_FILE_ENV = "SPARKHU_SYNC_SSH_KEY_FILE"
KNOWN_HOSTS_FILE_ENV = "SPARKHU_SYNC_SSH_KNOWN_HOSTS_FILE"
USERNAME_ENV = "SPARKHU_SYNC_GIT_USERNAME"


class SourceError(Exception):
    """The repository could not be fetched (unreachable host, bad credentials, unknown branch)."""


@dataclass(frozen=True)
class GitAuth:
    """Credentials for the repository, as paths of mounted secret files (all optional).

    Attributes:
        token_file: File holding an HTTPS access token (sent as HTTP basic auth).
        ssh_key_file: File holding a private SSH key.
        known_hosts_file: ``known_hosts`` for SSH; without it the host key is accepted on first use.
        username: User name paired with the token (``x-access-token`` suits GitHub; GitLab takes ``oauth2``).
    """

    token_file: Path | None = None
    ssh_key_file: Path | None = None
    known_hosts_file: Path | None = None
    username: str = "x-access-token"

    @classmethod
    def from_env(cls) -> GitAuth:
        """Credentials named by ``SPARKHU_SYNC_GIT_TOKEN_FILE``, ``SPARKHU_SYNC_SSH_KEY_FILE`` and friends."""

        def path(name: str) -> Path | None:
            value = os.environ.get(name, "").strip()
            return Path(value) if value else None

        return cls(
            token_file=path(TOKEN_FILE_ENV),
            ssh_key_file=path(SSH_KEY_FILE_ENV),
            known_hosts_file=path(KNOWN_HOSTS_FILE_ENV),
            username=os.environ.get(USERNAME_ENV, "").strip() or "x-access-token",
        )

    def environment(self, workdir: Path) -> dict[str, str]:
        """Environment variables that hand these credentials to git."""
        env: dict[str, str] = {}
        if self.token_file is not None:
            token = _read_secret(self.token_file)
            basic = base64.b64encode(f"{self.username}:{token}".encode()).decode()
            # GIT_CONFIG_* (git >= 2.31) sets http.extraHeader for this process only, off the command line.
            env.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="http.extraHeader")
            env["GIT_CONFIG_VALUE_0"] = f"Authorization: Basic {basic}"
        if self.ssh_key_file is not None:
            env["GIT_SSH_COMMAND"] = self._ssh_command(workdir)
        return env

    def _ssh_command(self, workdir: Path) -> str:
        """An ssh command line using a private copy of the key (ssh rejects group-readable key files)."""
        key = workdir / "ssh-key"
        key.write_bytes((self.ssh_key_file or Path()).read_bytes())
        key.chmod(0o600)
        if self.known_hosts_file is not None:
            hosts = f"-o UserKnownHostsFile={self.known_hosts_file} -o StrictHostKeyChecking=yes"
        else:
            hosts = f"-o UserKnownHostsFile={workdir / 'known_hosts'} -o StrictHostKeyChecking=accept-new"
        return f"ssh -i {key} -o IdentitiesOnly=yes -o BatchMode=yes {hosts}"


def _read_secret(path: Path) -> str:
    """The stripped content of a secret file."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise SourceError(f"cannot read git credentials from {path}: {error}") from error


@dataclass(frozen=True)
class Checkout:
    """A fetched revision: the commit id and the working copy holding its files."""

    revision: str
    root: Path


@dataclass
class GitSource:
    """One branch of one repository, fetched shallowly into ``workdir``.

    Args:
        repo: Clone URL (``https://``, ``ssh://``, ``git@host:org/repo`` or ``file://``).
        branch: Branch to follow.
        workdir: Folder the controller owns; the working copy lives in ``workdir/checkout``.
        auth: Credentials.
        timeout: Seconds one git command may take before the fetch counts as failed.
    """

    repo: str
    branch: str
    workdir: Path
    auth: GitAuth = field(default_factory=GitAuth)
    timeout: float = 120.0

    @property
    def checkout_dir(self) -> Path:
        """The working copy."""
        return self.workdir / "checkout"

    def fetch(self) -> Checkout:
        """Fetch the branch tip (depth 1) and check it out.

        Returns:
            The fetched revision and the working copy.

        Raises:
            SourceError: git failed; the message carries git's own error text.
        """
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._ensure_repository()
        env = self.auth.environment(self.workdir)
        self._git(["fetch", "--depth", "1", "--no-tags", "origin", f"+refs/heads/{self.branch}:refs/sync/head"], env)
        self._git(["checkout", "--quiet", "--force", "--detach", "refs/sync/head"], env)
        self._git(["clean", "-ffdxq"], env)
        revision = self._git(["rev-parse", "HEAD"], env).strip()
        return Checkout(revision=revision, root=self.checkout_dir)

    def _ensure_repository(self) -> None:
        """Create the local repository, or point it at ``repo`` again if the URL changed."""
        if not (self.checkout_dir / ".git").is_dir():
            shutil.rmtree(self.checkout_dir, ignore_errors=True)
            self.checkout_dir.mkdir(parents=True)
            self._git(["init", "--quiet"], {})
            self._git(["remote", "add", "origin", self.repo], {})
        else:
            self._git(["remote", "set-url", "origin", self.repo], {})

    def _git(self, args: list[str], extra_env: dict[str, str]) -> str:
        """Run git in the working copy; prompts are disabled so a missing credential fails fast."""
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", **extra_env}
        try:
            done = subprocess.run(
                ["git", *args], cwd=self.checkout_dir, env=env, capture_output=True, text=True, timeout=self.timeout
            )
        except subprocess.TimeoutExpired as error:
            raise SourceError(f"git {args[0]} timed out after {self.timeout:.0f} s ({self.repo})") from error
        except FileNotFoundError as error:
            raise SourceError("the git executable is not installed") from error
        if done.returncode != 0:
            message = (done.stderr or done.stdout).strip().splitlines()
            raise SourceError(f"git {args[0]} failed for {self.repo}@{self.branch}: {' '.join(message[-3:])}")
        return done.stdout
