"""The mapping stamp: a row that triggers change with every change to a mapping table.

PostgreSQL: one statement-level trigger per table (INSERT, UPDATE, DELETE and
TRUNCATE), so a bulk insert of 100,000 SKU mappings writes the stamp once.
SQLite has row-level triggers only: one per table and operation.
"""

from django.db import migrations, models

TABLES = (
    "mappings_skumapping",
    "mappings_locationmapping",
    "mappings_customermapping",
    "mappings_codemapping",
)

STAMP_PG = """
CREATE OR REPLACE FUNCTION mappings_new_stamp() RETURNS trigger AS $$
BEGIN
    INSERT INTO mappings_mappingstamp (id, stamp)
    VALUES (1, md5(random()::text || clock_timestamp()::text || txid_current()::text))
    ON CONFLICT (id) DO UPDATE SET stamp = EXCLUDED.stamp;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""
TRIGGER_PG = """
CREATE TRIGGER {table}_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION mappings_new_stamp();
"""
TRIGGER_SQLITE = """
CREATE TRIGGER {table}_stamp_{operation} AFTER {operation} ON {table} BEGIN
    INSERT OR REPLACE INTO mappings_mappingstamp (id, stamp)
    VALUES (1, lower(hex(randomblob(16))));
END;
"""
OPERATIONS_SQLITE = ("INSERT", "UPDATE", "DELETE")


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(STAMP_PG)
        for table in TABLES:
            schema_editor.execute(TRIGGER_PG.format(table=table))
    elif vendor == "sqlite":
        for table in TABLES:
            for operation in OPERATIONS_SQLITE:
                schema_editor.execute(TRIGGER_SQLITE.format(table=table, operation=operation))


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_stamp ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS mappings_new_stamp()")
    elif vendor == "sqlite":
        for table in TABLES:
            for operation in OPERATIONS_SQLITE:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_stamp_{operation}")


class Migration(migrations.Migration):
    dependencies = [
        ("mappings", "0002_sku_mapping_material_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="MappingStamp",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("stamp", models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(install, uninstall),
    ]
