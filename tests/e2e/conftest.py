"""Fixtures of the end-to-end tests: the running local stack, reviewers, and SWB submissions."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "lib"))

from egress_client import Stack  # noqa: E402


@pytest.fixture(scope="session")
def stack() -> Stack:
    return Stack()


class Reviewers:
    """Signed-in users, one ID token each."""

    def __init__(self, stack: Stack):
        run = uuid.uuid4().hex[:6]
        first, second = stack["reviewer_groups"]
        self.groups = (first, second)
        self.emails = {}

        def user(name, groups):
            email = f"{name}-{run}@example.org"
            self.emails[name] = email
            return stack.create_user(email, groups)

        self.ig = user("ig", [first])
        self.ig2 = user("ig2", [first])
        self.rit = user("rit", [second])
        self.rit2 = user("rit2", [second])
        self.both = user("both", [first, second])
        self.outsider = user("outsider", [])
        self.requester_email = f"researcher-{run}@example.org"
        # A reviewer who is also the requester of the requests below.
        self.requester = stack.create_user(self.requester_email, [first, second])


@pytest.fixture(scope="session")
def reviewers(stack) -> Reviewers:
    return Reviewers(stack)


@pytest.fixture
def submit(stack, reviewers):
    """Seeds a fresh egress store, submits it as SWB does and publishes the message."""

    def _submit(files: dict[str, bytes] | None = None, publish: bool = True, requester: str | None = None):
        store = f"ws-{uuid.uuid4().hex[:10]}"
        stack.seed_store(store, files or {"out/result.csv": b"a,b\n1,2\n", "out/readme.txt": b"hello"})
        submission = stack.submit(store, requester or reviewers.requester_email)
        if publish:
            stack.publish(submission.message)
        return submission

    return _submit
