"""Catalog sources: edited by operations; "Run now" polls a drop folder at once."""

from django import forms
from django.contrib import admin, messages

from syncplatform.audit.dispatch import RUN_SCHEDULED_JOB_TASK
from syncplatform.audit.registry import Lane
from syncplatform.celery import app as celery_app
from syncplatform.partners.admin import HideSecretsFromViewers, KeepSecretFormMixin

from ..choices import CATALOG_POLL
from ..models import CatalogSource
from ..services.drops import ensure_source_schedule

RUN_PERMISSION = "catalog.run_catalogload"
SFTP_FIELDS = (
    "sftp_host",
    "sftp_port",
    "sftp_username",
    "sftp_password",
    "sftp_private_key",
    "sftp_known_hosts",
    "inbound_folder",
    "archive_folder",
    "error_folder",
    "file_pattern",
    "settle_seconds",
    "max_file_megabytes",
)


class CatalogSourceForm(KeepSecretFormMixin, forms.ModelForm):
    secret_fields = ("sftp_password", "sftp_private_key")

    class Meta:
        model = CatalogSource
        fields = [
            "partner",
            "code",
            "kind",
            "is_active",
            "accepts_push",
            "chunk_size",
            *SFTP_FIELDS,
        ]


@admin.register(CatalogSource)
class CatalogSourceAdmin(HideSecretsFromViewers, admin.ModelAdmin):
    form = CatalogSourceForm
    list_display = ("code", "partner", "kind", "accepts_push", "drop_folder", "is_active")
    list_filter = ("kind", "is_active", "partner")
    search_fields = ("code",)
    actions = ["run_now"]
    fieldsets = (
        (None, {"fields": ("partner", "code", "kind", "is_active", "accepts_push", "chunk_size")}),
        ("SFTP drop folder (blank host: none)", {"fields": SFTP_FIELDS}),
    )

    def get_fieldsets(self, request, obj=None):
        shown = set(self.get_fields(request, obj))
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f in shown]})
            for name, options in self.fieldsets
        ]

    @admin.display(boolean=True, description="drop folder")
    def drop_folder(self, obj):
        return obj.has_drop_folder

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        ensure_source_schedule(obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm(RUN_PERMISSION):
            actions.pop("run_now", None)
        return actions

    @admin.action(description="Run now: take the files waiting in the drop folder")
    def run_now(self, request, queryset):
        for source in queryset:
            if not source.has_drop_folder:
                self.message_user(
                    request,
                    f"{source.code} has no drop folder: its files are pushed, or loaded with "
                    "manage.py load_catalog",
                    messages.WARNING,
                )
                continue
            celery_app.send_task(
                RUN_SCHEDULED_JOB_TASK, args=[CATALOG_POLL, source.pk], queue=Lane.BATCH
            )
            self.message_user(request, f"{source.code}: poll queued", messages.SUCCESS)
