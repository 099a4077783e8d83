"""Operations: audit care-team membership (the member table has no id of its own).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 07:30:00.000000

``care_team_member`` rows are (team_id, user_id) pairs, so the generic ``audit_row`` trigger
cannot name them; this trigger records each join and leave under entity
``care_team_member`` with the team's id as ``row_id`` and the team's scope path, so
``GET /api/audit?entity=care_team_member&id=<team id>`` is the team's membership history.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT_MEMBER_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_team_member() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    actor text := nullif(current_setting('fieldops.actor_id', true), '');
    via text := coalesce(nullif(current_setting('fieldops.via', true), ''), 'system');
    device text := nullif(current_setting('fieldops.device_id', true), '');
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO audit_log (entity, row_id, action, actor_id, via, device_id, scope_path,
                               before, after)
        SELECT 'care_team_member', OLD.team_id, 'delete', actor::uuid, via, device::uuid,
               t.scope_path, jsonb_build_object('user_id', OLD.user_id), NULL
          FROM care_team t WHERE t.id = OLD.team_id;
    ELSE
        INSERT INTO audit_log (entity, row_id, action, actor_id, via, device_id, scope_path,
                               before, after)
        SELECT 'care_team_member', NEW.team_id, 'insert', actor::uuid, via, device::uuid,
               t.scope_path, NULL, jsonb_build_object('user_id', NEW.user_id)
          FROM care_team t WHERE t.id = NEW.team_id;
    END IF;
    RETURN NULL;
END
$$;
"""


def upgrade() -> None:
    op.execute(AUDIT_MEMBER_FUNCTION)
    op.execute(
        "CREATE TRIGGER care_team_member_audit AFTER INSERT OR DELETE ON care_team_member "
        "FOR EACH ROW EXECUTE FUNCTION audit_team_member()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS care_team_member_audit ON care_team_member")
    op.execute("DROP FUNCTION IF EXISTS audit_team_member()")
