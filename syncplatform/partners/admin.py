from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from syncplatform.audit.choices import BreakerState
from syncplatform.audit.models import Breaker, GateSlot

from .models import ApiClient, ChannelConfig, ErpEndpoint, Partner
from .services import issue_api_key


class SecretInput(forms.PasswordInput):
    """Never renders the stored secret; an empty submit keeps the current value."""

    def __init__(self):
        super().__init__(render_value=False)


class KeepSecretFormMixin:
    secret_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self._shown_secrets():
            field = self.fields[name]
            field.widget = SecretInput()
            field.required = False
            if self.instance.pk and getattr(self.instance, name):
                field.help_text = "A value is stored (hidden). Leave empty to keep it."

    def clean(self):
        data = super().clean()
        for name in self._shown_secrets():
            if not data.get(name) and self.instance.pk:
                data[name] = getattr(self.instance, name)
        return data

    def _shown_secrets(self):
        # View-only admins get the form without its secrets (see HideSecretsFromViewers).
        return [name for name in self.secret_fields if name in self.fields]


class ChannelConfigForm(KeepSecretFormMixin, forms.ModelForm):
    secret_fields = ("webhook_secret", "shop_access_token")

    class Meta:
        model = ChannelConfig
        fields = [
            "erp",
            "default_sold_to",
            "default_location",
            "default_shipping_method",
            "empty_address_text",
            "webhook_secret",
            "shop_url",
            "shop_access_token",
            "shop_api_version",
            "sales_org",
            "distribution_channel",
            "price_condition_type",
            "new_materials_get_material_sku",
        ]


class ErpEndpointForm(KeepSecretFormMixin, forms.ModelForm):
    secret_fields = ("password",)

    class Meta:
        model = ErpEndpoint
        fields = [
            "wsdl_url",
            "endpoint_url",
            "username",
            "password",
            "timeout_seconds",
            "max_in_flight",
        ]


class HideSecretsFromViewers:
    """Users who may only view see every field read-only, as text: leave the secrets out."""

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if self.has_change_permission(request, obj):
            return fields
        return [name for name in fields if name not in self.form.secret_fields]


class ChannelConfigInline(HideSecretsFromViewers, admin.StackedInline):
    model = ChannelConfig
    form = ChannelConfigForm
    fk_name = "partner"
    extra = 0


class ErpEndpointInline(HideSecretsFromViewers, admin.StackedInline):
    model = ErpEndpoint
    form = ErpEndpointForm
    extra = 0
    readonly_fields = ("circuit_breaker",)

    @admin.display(description="Circuit breaker")
    def circuit_breaker(self, endpoint: ErpEndpoint) -> str:
        """State and last change of the endpoint's breaker, postings in flight and waiting."""
        breaker = Breaker.objects.filter(key=ErpEndpoint.breaker_key_of(endpoint.pk)).first()
        if endpoint.pk is None or breaker is None:
            return "closed (no posting yet)"
        in_flight = GateSlot.objects.filter(
            breaker=breaker, holder_id__isnull=False, lease_until__gt=timezone.now()
        ).count()
        changed = breaker.changed_at and timezone.localtime(breaker.changed_at)
        since = f" since {changed:%Y-%m-%d %H:%M:%S %Z}" if changed else ""
        error = (
            f"; last error: {breaker.last_error}"
            if breaker.state != BreakerState.CLOSED and breaker.last_error
            else ""
        )
        return (
            f"{breaker.get_state_display()}{since}; {in_flight} in flight of "
            f"{endpoint.max_in_flight}, {breaker.waiters.count()} waiting{error}"
        )


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    inlines = [ChannelConfigInline, ErpEndpointInline]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Creating a client shows its key once; only the hash is stored."""

    list_display = ("partner", "name", "key_prefix", "is_active", "created_at")
    list_filter = ("is_active", "partner")
    readonly_fields = ("key_prefix", "created_at")
    fields = ("partner", "name", "is_active", "key_prefix", "created_at")

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        client, clear_key = issue_api_key(obj.partner, obj.name)
        obj.pk, obj.key_prefix, obj.key_hash = client.pk, client.key_prefix, client.key_hash
        obj._state.adding = False
        if not obj.is_active:  # issue_api_key creates active clients; honour the form
            obj.save(update_fields=["is_active", "updated_at"])
        self.message_user(
            request,
            f"API key for {client.partner.code} (shown once, copy it now): {clear_key}",
            messages.WARNING,
        )
