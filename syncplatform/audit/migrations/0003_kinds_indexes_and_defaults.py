"""Five earlier migrations (0003-0007) in one: kinds without choices (a new kind
needs no migration), the (kind, subject_id) index, lean intake defaults, no index
on the event's actor. ``replaces`` keeps databases that applied those five working.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    replaces = [
        ("audit", "0003_alter_retrypolicy_kind_alter_synctransaction_kind_and_more"),
        ("audit", "0004_lean_intake_writes"),
        ("audit", "0005_edi_poll_kind"),
        ("audit", "0006_drop_redundant_indexes"),
        ("audit", "0007_kinds_without_choices"),
    ]

    dependencies = [
        ("audit", "0002_append_only_and_defaults"),
        ("partners", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="transactionevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("received", "Received"),
                    ("attempt.started", "Attempt started"),
                    ("attempt.succeeded", "Attempt succeeded"),
                    ("attempt.failed", "Attempt failed"),
                    ("retry.scheduled", "Retry scheduled"),
                    ("failed", "Failed"),
                    ("lease.expired", "Lease expired (worker lost)"),
                    ("replayed", "Replayed by operator"),
                    ("resolved", "Resolved by operator"),
                    ("skipped", "Skipped (duplicate)"),
                    ("note", "Note"),
                ],
                max_length=30,
            ),
        ),
        migrations.AlterField(
            model_name="synctransaction",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="synctransaction",
            name="state",
            field=models.CharField(
                choices=[
                    ("received", "Received"),
                    ("processing", "Processing"),
                    ("retrying", "Retrying"),
                    ("succeeded", "Succeeded"),
                    ("failed", "Failed"),
                    ("resolved", "Resolved"),
                ],
                default="received",
                editable=False,
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="synctransaction",
            name="subject_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="transactionevent",
            name="at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddIndex(
            model_name="synctransaction",
            index=models.Index(fields=["kind", "subject_id"], name="tx_subject_idx"),
        ),
        migrations.AlterField(
            model_name="transactionevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="retrypolicy",
            name="kind",
            field=models.CharField(max_length=40, unique=True),
        ),
        migrations.AlterField(
            model_name="synctransaction",
            name="kind",
            field=models.CharField(help_text="A TransactionKind value.", max_length=40),
        ),
    ]
