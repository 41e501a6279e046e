"""Capabilities get a stored sort key giving SemVer precedence, so SQL can order versions.

``version_order`` is generated from ``version`` by ``semver_sort_key`` (1.9.0 before 1.10.0,
1.0.0-rc.1 before 1.0.0, numeric pre-release identifiers before alphanumeric ones), compared
byte by byte (COLLATE "C"). The compiled read path orders capabilities by it; the resolvers sort
with ``domain.values.semver_order``, and a differential test holds the two together.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each numeric part is prefixed with its length (SemVer numbers have no leading zeros, so a
# longer number is a larger one); '!' sorts below every identifier character, so a shorter
# list of pre-release identifiers comes first; '~' sorts above them, so a release comes after
# its pre-releases. Build metadata does not count.
SEMVER_SORT_KEY = r"""
CREATE FUNCTION semver_sort_key(version text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    core text := split_part(version, '+', 1);
    pre text;
    part text;
    key text := '';
BEGIN
    IF position('-' IN core) > 0 THEN
        pre := substr(core, position('-' IN core) + 1);
        core := substr(core, 1, position('-' IN core) - 1);
    END IF;
    FOREACH part IN ARRAY string_to_array(core, '.') LOOP
        key := key || lpad(length(part)::text, 3, '0') || part;
    END LOOP;
    IF pre IS NULL THEN
        RETURN key || '~';
    END IF;
    FOREACH part IN ARRAY string_to_array(pre, '.') LOOP
        IF part ~ '^[0-9]+$' THEN
            key := key || '!0' || lpad(length(part)::text, 3, '0') || part;
        ELSE
            key := key || '!1' || part;
        END IF;
    END LOOP;
    RETURN key;
END
$$
"""


def upgrade() -> None:
    op.execute(SEMVER_SORT_KEY)
    op.execute(
        'ALTER TABLE agent_capabilities ADD COLUMN version_order text COLLATE "C" '
        "GENERATED ALWAYS AS (semver_sort_key(version)) STORED NOT NULL"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE agent_capabilities DROP COLUMN version_order")
    op.execute("DROP FUNCTION semver_sort_key(text)")
