"""Sign-in throttling, shared by every server process: the counts live in PostgreSQL.

Three kinds of key (the rule is ``domain/throttle.py``'s): one email from one address — its
owner signing in from anywhere else is not slowed by an attacker's guesses; one address across
every email — spraying; one address registering accounts — each costs a password hash. A login
counts against the first two, a registration against the third. Each attempt takes one short
transaction of two statements (lock and read the keys' rows, write them back) before any
password is hashed; a right password takes another to un-count itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.throttle import KeyCount, ThrottleRule, refusal
from store import throttle as store
from store.database import Database

# One address may serve many people (an office behind NAT), so it gets more room than an email.
ADDRESS_FACTOR = 4


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """A counted login: pass it to ``SignInThrottle.succeeded`` when the password was right."""

    email_key: str
    address_key: str


@dataclass(frozen=True, slots=True)
class ThrottleSettings:
    """What the server's settings say (agentgraph/settings.py: AGENTGRAPH_LOGIN_*,
    AGENTGRAPH_REGISTER_*)."""

    login_free: int = 5
    register_free: int = 10
    base_delay_s: float = 5.0
    max_delay_s: float = 900.0
    forget_after_s: float = 900.0


class SignInThrottle:
    def __init__(self, database: Database, settings: ThrottleSettings) -> None:
        self.database = database

        def rule(free: int) -> ThrottleRule:
            return ThrottleRule(
                free, settings.base_delay_s, settings.max_delay_s, settings.forget_after_s
            )

        self.email_rule = rule(settings.login_free)
        self.address_rule = rule(settings.login_free * ADDRESS_FACTOR)
        self.register_rule = rule(settings.register_free)

    @property
    def address_max_failures(self) -> int:
        """Failed logins one address may make, over every email, before they slow down."""
        return self.address_rule.free

    async def begin_login(self, email: str, address: str) -> LoginAttempt:
        """Count a login as failed until told otherwise; ``RateLimited`` (not counted) while
        the email at this address, or this address, must wait."""
        attempt = LoginAttempt(
            f"login:{email.strip().lower()}|{address}", f"login-address:{address}"
        )
        rules = {attempt.email_key: self.email_rule, attempt.address_key: self.address_rule}
        await self._count(rules, "failed sign-in attempts")
        return attempt

    async def succeeded(self, attempt: LoginAttempt) -> None:
        """The password was right: forget the email's failures here, un-count the address's."""
        async with self.database.transaction() as conn:
            _, counts = await store.lock_counts(conn, [attempt.email_key, attempt.address_key])
            counts[attempt.email_key] = KeyCount()
            counts[attempt.address_key] = counts[attempt.address_key].uncounted()
            await store.save_counts(conn, counts)

    async def begin_register(self, address: str) -> None:
        """Count a registration from ``address``; ``RateLimited`` (not counted) while it waits."""
        await self._count({f"register:{address}": self.register_rule}, "registrations")

    async def _count(self, rules: dict[str, ThrottleRule], what: str) -> None:
        async with self.database.transaction() as conn:
            now, counts = await store.lock_counts(conn, list(rules))
            refused = refusal(counts, rules, now, what)
            if refused is not None:
                raise refused
            await store.save_counts(
                conn, {key: count.counted(rules[key], now) for key, count in counts.items()}
            )
