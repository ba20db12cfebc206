"""The chart of accounts, and on PostgreSQL a deferred constraint trigger that refuses
an entry whose lines do not sum to zero per currency at commit (like django-hordak)."""

from django.db import migrations

from souk.ledger.accounts import ensure_accounts

CREATE_TRIGGER = """
CREATE OR REPLACE FUNCTION ledger_check_entry_balanced() RETURNS trigger AS $$
DECLARE
    entry_ids bigint[];
    bad record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        entry_ids := ARRAY[OLD.entry_id];
    ELSIF TG_OP = 'UPDATE' THEN
        entry_ids := ARRAY[OLD.entry_id, NEW.entry_id];
    ELSE
        entry_ids := ARRAY[NEW.entry_id];
    END IF;
    SELECT entry_id, currency, SUM(amount_minor) AS total INTO bad
      FROM ledger_journalline
     WHERE entry_id = ANY(entry_ids)
     GROUP BY entry_id, currency
    HAVING SUM(amount_minor) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger_unbalanced: journal entry % does not balance in % (lines sum to %)',
            bad.entry_id, bad.currency, bad.total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_journalline;
CREATE CONSTRAINT TRIGGER ledger_entry_balanced
    AFTER INSERT OR UPDATE OR DELETE ON ledger_journalline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
"""

DROP_TRIGGER = """
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_journalline;
DROP FUNCTION IF EXISTS ledger_check_entry_balanced();
"""


def create_chart(apps, schema_editor):
    ensure_accounts(apps.get_model("ledger", "LedgerAccount"), using=schema_editor.connection.alias)


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:  # no params: '%' in RAISE stays literal
            cursor.execute(CREATE_TRIGGER)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(DROP_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        migrations.RunPython(create_chart, migrations.RunPython.noop),
        migrations.RunPython(create_trigger, drop_trigger),
    ]
