from django.db import migrations, models


class Migration(migrations.Migration):
    """Inbound bodies are kept gzip-compressed (no release stored any uncompressed one)."""

    dependencies = [("erpdocs", "0003_package_control")]

    operations = [
        migrations.RemoveField(model_name="inboundidocfile", name="content"),
        migrations.AddField(
            model_name="inboundidocfile",
            name="content_gzip",
            field=models.BinaryField(default=b""),
            preserve_default=False,
        ),
    ]
