"""On PostgreSQL the database itself keeps the ledger append-only and balanced.

UPDATE and DELETE of ledger transactions and lines are refused (the function comes from
``accounts.0002``), and a deferred constraint trigger checks, as the database transaction
commits, that the lines of each ledger transaction touched sum to zero.
"""

from django.db import migrations

CREATE = """
CREATE TRIGGER marketplace_ledgertransaction_append_only
    BEFORE UPDATE OR DELETE ON marketplace_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION linli_refuse_change();
CREATE TRIGGER marketplace_ledgerline_append_only
    BEFORE UPDATE OR DELETE ON marketplace_ledgerline
    FOR EACH ROW EXECUTE FUNCTION linli_refuse_change();

CREATE OR REPLACE FUNCTION linli_ledger_balanced() RETURNS trigger AS $$
DECLARE
    total numeric;
BEGIN
    SELECT COALESCE(SUM(amount), 0) INTO total
        FROM marketplace_ledgerline WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance (%)', NEW.transaction_id, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER marketplace_ledgerline_balanced
    AFTER INSERT ON marketplace_ledgerline
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION linli_ledger_balanced();
"""
DROP = """
DROP TRIGGER IF EXISTS marketplace_ledgerline_balanced ON marketplace_ledgerline;
DROP FUNCTION IF EXISTS linli_ledger_balanced();
DROP TRIGGER IF EXISTS marketplace_ledgerline_append_only ON marketplace_ledgerline;
DROP TRIGGER IF EXISTS marketplace_ledgertransaction_append_only ON marketplace_ledgertransaction;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_audit_append_only_trigger"), ("marketplace", "0003_funds_ledger")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
