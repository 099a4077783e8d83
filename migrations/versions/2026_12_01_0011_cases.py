"""Cases: the patient search key, duplicate flags, effective times of status moves, and
the vital-sign follow-up that tablets pull.

- ``fold_vi(text)``: the search form of a name, lower case without diacritics (đ → d), the
  same as ``domain.text.fold`` (a test holds the two together), so ``?q=nhung`` finds
  "Nhung" and "Nhưng".
- ``f0_case.possible_duplicate_of``: a pushed duplicate is kept and flagged for review.
- ``case_status_event.effective_at``: when a move happened, beside when it was recorded.
- ``case_followup``: per case, whether it is under home care and since when, kept by a
  trigger on ``f0_case`` (status moves, deletes), whoever writes; a synced table (stamped, and
  notifying ``sync_feed`` like the tables of 0009). The last reading is read from
  ``observation`` itself, never copied into a row that every reading would have to lock.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from domain.ddl import create_sync_trigger, drop_sync_trigger

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every precomposed Latin letter whose fold is one ASCII letter (Vietnamese among them).
FOLD_FROM = (
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĐ"
    "đĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤť"
    "ŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇ"
    "ȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡ"
    "ḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡṢṣṤṥṦṧ"
    "ṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳ"
    "ẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ"
)
FOLD_TO = (
    "aaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddd"
    "deeeeeeeeeegggggggghhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrsssssssstttt"
    "uuuuuuuuuuuuwwyyyzzzzzzoouuaaiioouuuuuuuuuuaaaaggkkoooojggnnaaaaaaeeee"
    "iiiioooorrrruuuusstthhaaeeooooooooyyaabbbbbbccddddddddddeeeeeeeeeeffgg"
    "hhhhhhhhhhiiiikkkkkkllllllllmmmmmmnnnnnnnnoooooooopppprrrrrrrrssssssss"
    "ssttttttttuuuuuuuuuuvvvvwwwwwwwwwwxxxxyyzzzzzzhtwyaaaaaaaaaaaaaaaaaaaa"
    "aaaaeeeeeeeeeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy"
)

FOLD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION fold_vi(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT btrim(regexp_replace(lower(translate(t, '{FOLD_FROM}', '{FOLD_TO}')),
                                '\\s+', ' ', 'g'))
$$;
"""

# The home-care statuses are domain.rules.followup's UNDER_CARE (a test holds them equal).
FOLLOWUP_FUNCTIONS = ["""
CREATE OR REPLACE FUNCTION case_followup_on_case() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    care boolean := NEW.status IN ('home_monitoring', 'needs_attention', 'transfer_requested')
                    AND NOT NEW.deleted;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND OLD.deleted = NEW.deleted
       AND OLD.scope_path = NEW.scope_path THEN
        RETURN NULL;
    END IF;
    INSERT INTO case_followup AS f (id, case_id, scope_path, under_care, care_since, deleted)
    VALUES (NEW.id, NEW.id, NEW.scope_path, care, NEW.status_changed_at, NEW.deleted)
    ON CONFLICT (id) DO UPDATE SET
        scope_path = EXCLUDED.scope_path,
        deleted = EXCLUDED.deleted,
        under_care = EXCLUDED.under_care,
        -- back in home care (discharged, transfer cancelled): the clock restarts then
        care_since = CASE WHEN EXCLUDED.under_care AND NOT f.under_care
                          THEN EXCLUDED.care_since ELSE f.care_since END;
    RETURN NULL;
END
$$
"""]

BACKFILL = """
INSERT INTO case_followup (id, case_id, scope_path, under_care, care_since, deleted)
SELECT c.id, c.id, c.scope_path,
       c.status IN ('home_monitoring', 'needs_attention', 'transfer_requested')
       AND NOT c.deleted,
       c.status_changed_at, c.deleted
  FROM f0_case c
"""


def upgrade() -> None:
    op.execute(FOLD_FUNCTION)
    op.add_column("f0_case", sa.Column("possible_duplicate_of", sa.UUID(), nullable=True))
    op.create_foreign_key(op.f("fk_f0_case_possible_duplicate_of_f0_case"), "f0_case",
                          "f0_case", ["possible_duplicate_of"], ["id"])
    op.create_index(op.f("ix_f0_case_possible_duplicate_of"), "f0_case",
                    ["possible_duplicate_of"])
    op.add_column("case_status_event", sa.Column(
        "effective_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
        nullable=False))
    op.execute("UPDATE case_status_event SET effective_at = changed_at")
    op.create_table(
        "case_followup",
        sa.Column("case_id", sa.UUID(), nullable=False),
        sa.Column("under_care", sa.Boolean(), nullable=False),
        sa.Column("care_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("scope_path", sa.String(length=64), nullable=False),
        sa.Column("sync_txid", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("sync_version", sa.BigInteger(), server_default=sa.text("0"),
                  nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("field_hlc", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["f0_case.id"],
                                name=op.f("fk_case_followup_case_id_f0_case"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_followup")),
        sa.UniqueConstraint("case_id", name=op.f("uq_case_followup_case_id")),
    )
    op.create_index("ix_case_followup_feed", "case_followup", ["sync_txid", "sync_version"])
    op.create_index("ix_case_followup_scope_feed", "case_followup",
                    ["scope_path", "sync_txid", "sync_version"])
    op.create_index("ix_case_followup_scope_prefix", "case_followup", ["scope_path"],
                    postgresql_ops={"scope_path": "text_pattern_ops"})
    op.execute(create_sync_trigger("case_followup"))
    for event in ("INSERT", "UPDATE"):  # it joins the feed: long-polling pulls wake (0009)
        op.execute(f"CREATE TRIGGER case_followup_feed_notify_{event.lower()} AFTER {event} "
                   "ON case_followup REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
                   "EXECUTE FUNCTION notify_sync_feed()")
    op.execute(BACKFILL)
    for function in FOLLOWUP_FUNCTIONS:
        op.execute(function)
    op.execute("CREATE TRIGGER f0_case_followup AFTER INSERT OR UPDATE ON f0_case "
               "FOR EACH ROW EXECUTE FUNCTION case_followup_on_case()")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS f0_case_followup ON f0_case")
    op.execute("DROP FUNCTION IF EXISTS case_followup_on_case()")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS case_followup_feed_notify_{event} ON case_followup")
    op.execute(drop_sync_trigger("case_followup"))
    op.drop_table("case_followup")
    op.drop_column("case_status_event", "effective_at")
    op.drop_index(op.f("ix_f0_case_possible_duplicate_of"), table_name="f0_case")
    op.drop_constraint(op.f("fk_f0_case_possible_duplicate_of_f0_case"), "f0_case",
                       type_="foreignkey")
    op.drop_column("f0_case", "possible_duplicate_of")
    op.execute("DROP FUNCTION IF EXISTS fold_vi(text)")
