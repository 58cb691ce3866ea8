"""IDoc configs: an ERP's ports and partner numbers, and who may push IDocs to us."""

from django import forms
from django.contrib import admin, messages

from ..models import IdocConfig
from ..services import ensure_erp_schedules, issue_inbound_api_key


class IdocConfigForm(forms.ModelForm):
    inbound_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Basic auth password the ERP pushes with; stored hashed. Leave empty to keep it.",
    )

    class Meta:
        model = IdocConfig
        fields = [
            "partner",
            "idoc_url",
            "package_size",
            "our_port",
            "our_partner_type",
            "our_partner",
            "erp_port",
            "erp_partner_type",
            "erp_partner",
            "erp_client",
            "inbound_username",
        ]

    def save(self, commit=True):
        config = super().save(commit=False)
        if self.cleaned_data.get("inbound_password"):
            config.set_inbound_password(self.cleaned_data["inbound_password"])
        if commit:
            config.save()
        return config


@admin.register(IdocConfig)
class IdocConfigAdmin(admin.ModelAdmin):
    """An ERP's ports and partner numbers; saving creates its send and status schedules."""

    form = IdocConfigForm
    list_display = ("partner", "idoc_url", "our_port", "our_partner", "erp_port", "erp_partner")
    actions = ["issue_api_key"]
    fieldsets = [
        (None, {"fields": ["partner", "idoc_url", "package_size"]}),
        ("Us (sender)", {"fields": ["our_port", "our_partner_type", "our_partner"]}),
        (
            "The ERP (receiver)",
            {"fields": ["erp_port", "erp_partner_type", "erp_partner", "erp_client"]},
        ),
        ("Pushes from the ERP", {"fields": ["inbound_username", "inbound_password"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        ensure_erp_schedules(obj.partner)

    @admin.action(description="Issue an API key for IDoc pushes (shown once)")
    def issue_api_key(self, request, queryset):
        for config in queryset:
            _, clear_key = issue_inbound_api_key(config)
            self.message_user(
                request,
                f"API key for {config.partner.code}'s IDoc pushes (shown once, copy it now): "
                f"{clear_key}",
                messages.WARNING,
            )
