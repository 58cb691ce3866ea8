"""The operations console for transactions: triage, retry now, resolve with a reason."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import registry
from .choices import TransactionState
from .models import InvalidTransition, RetryPolicy, SyncTransaction, TransactionEvent
from .services import replay_transaction, resolve_transaction


def transaction_link(tx_id: int | None, state: str = "") -> str:
    if tx_id is None:
        return "-"
    url = reverse("admin:audit_synctransaction_change", args=[tx_id])
    return format_html('<a href="{}">#{} {}</a>', url, tx_id, state)


class SubjectTransactionsMixin:
    """For the admin of a transaction's subject (an order, a file): its transactions, linked.

    Add ``"transactions"`` to the page's read-only fields.
    """

    @admin.display(description="transactions")
    def transactions(self, obj):
        rows = SyncTransaction.objects.about(obj).order_by("pk")[:50]
        return (
            format_html_join(
                "",
                "<div>{} {} {}</div>",
                ((transaction_link(tx.pk, tx.state), tx.kind, tx.last_error_code) for tx in rows),
            )
            or "-"
        )


def retry_in_admin(
    modeladmin, request, transaction_ids, *, reason: str, noun: str = "transaction(s)"
) -> None:
    """The one "retry" loop of every admin action: replay each failed one, report the rest.

    ``transaction_ids`` are ``(id, label)`` pairs; ``reason`` may use ``{label}``.
    """
    done, skipped = 0, []
    for tx_id, label in transaction_ids:
        try:
            replay_transaction(tx_id, actor=request.user, reason=reason.format(label=label))
            done += 1
        except InvalidTransition:
            skipped.append(label)
    modeladmin.message_user(request, f"{done} {noun} sent for retry", messages.SUCCESS)
    if skipped:
        modeladmin.message_user(
            request, "skipped, not failed: " + ", ".join(skipped), messages.WARNING
        )


class KindFilter(admin.SimpleListFilter):
    """The declared kinds, by their description (and any undeclared code still stored)."""

    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(k.code, f"{k.code}: {k.description}") for k in registry.kinds()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class TransactionEventInline(admin.TabularInline):
    """Read-only: events are append-only, even here."""

    model = TransactionEvent
    extra = 0
    can_delete = False
    fields = (
        "at",
        "kind",
        "from_state",
        "to_state",
        "attempt",
        "duration_ms",
        "actor",
        "message",
        "excerpt",
    )
    readonly_fields = fields
    ordering = ("id",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ResolveForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Why this needs no further processing (kept in history).",
    )


@admin.register(SyncTransaction)
class SyncTransactionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "partner",
        "business_key",
        "state",
        "attempts",
        "last_error_code",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("state", KindFilter, "partner", "created_at", "last_error_code")
    # Exact matches, so each uses its index on a large table.
    search_fields = ("=business_key", "=correlation_id", "=idempotency_key", "=id")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in SyncTransaction._meta.fields] + [
        "subject_link",
        "kind_described",
    ]
    fields = (
        "kind_described",
        "subject_link",
        "partner",
        "business_key",
        "state",
        "attempts",
        "next_attempt_at",
        "lease_until",
        "last_error_code",
        "last_error_message",
        "correlation_id",
        "idempotency_key",
        "created_at",
        "updated_at",
        "finished_at",
    )
    inlines = [TransactionEventInline]
    actions = ["retry_now", "resolve_with_reason"]
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Viewing is allowed; changes happen only through the actions below.
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("audit.operate_synctransaction")

    # --- the page's Retry now and Resolve buttons ------------------------------------------
    def get_urls(self):
        return [
            path(
                "<int:pk>/retry/",
                self.admin_site.admin_view(require_POST(self.retry_view)),
                name="audit_synctransaction_retry",
            ),
            path(
                "<int:pk>/resolve/",
                self.admin_site.admin_view(self.resolve_view),
                name="audit_synctransaction_resolve",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The buttons are offered where they would work: a failed one, to an operator.
        context["can_operate"] = (
            obj is not None
            and obj.state == TransactionState.FAILED
            and self.has_retry_permission(request)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _operable(self, request, pk) -> SyncTransaction:
        # admin_view only checks is_staff; retrying and resolving need the operate permission.
        if not self.has_retry_permission(request):
            raise PermissionDenied
        return get_object_or_404(SyncTransaction, pk=pk)

    def retry_view(self, request, pk):
        """POST only: "Retry now" from the transaction's page, back to that page."""
        tx = self._operable(request, pk)
        retry_in_admin(self, request, [(tx.pk, f"#{tx.pk} ({tx.state})")], reason="retry now")
        # Back to the page the button was on (an order's page), if it is one of ours.
        back = request.POST.get("next", "")
        if back and url_has_allowed_host_and_scheme(back, {request.get_host()}):
            return redirect(back)
        return redirect("admin:audit_synctransaction_change", tx.pk)

    def resolve_view(self, request, pk):
        """The reason form (GET) and resolving with it (POST); an empty reason is refused."""
        tx = self._operable(request, pk)
        if tx.state != TransactionState.FAILED:
            self.message_user(
                request, f"#{tx.pk} is {tx.state}, not failed: nothing to resolve", messages.WARNING
            )
            return redirect("admin:audit_synctransaction_change", tx.pk)
        form = ResolveForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                resolve_transaction(tx.pk, actor=request.user, reason=form.cleaned_data["reason"])
                self.message_user(request, f"Transaction #{tx.pk} resolved", messages.SUCCESS)
            except InvalidTransition as refused:  # it changed state since the page was drawn
                self.message_user(request, f"not resolved: {refused}", messages.WARNING)
            return redirect("admin:audit_synctransaction_change", tx.pk)
        if form.is_bound:
            self.message_user(request, "Give a reason to resolve it.", messages.ERROR)
        return TemplateResponse(
            request,
            "admin/audit/synctransaction/resolve.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Resolve transaction #{tx.pk}",
                "opts": self.model._meta,
                "original": tx,
                "form": form,
            },
        )

    @admin.display(description="kind")
    def kind_described(self, tx):
        """The kind's code and what it is, in the words of the app that declared it."""
        try:
            return f"{tx.kind}: {registry.kind(tx.kind).description}"
        except registry.UnknownKind:
            return f"{tx.kind} (no app declares this kind any more)"

    @admin.display(description="subject")
    def subject_link(self, tx):
        subject = tx.subject
        if subject is None:
            return "-"
        opts = subject._meta
        try:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[subject.pk])
        except NoReverseMatch:
            return str(subject)
        return format_html('<a href="{}">{} {}</a>', url, opts.verbose_name, subject)

    @admin.action(description="Retry now (failed transactions)", permissions=["retry"])
    def retry_now(self, request, queryset):
        retry_in_admin(
            self,
            request,
            [(tx.pk, f"#{tx.pk} ({tx.state})") for tx in queryset.order_by("pk")],
            reason="retry now",
        )

    @admin.action(description="Resolve with reason (failed transactions)", permissions=["retry"])
    def resolve_with_reason(self, request, queryset):
        if "apply" in request.POST:
            form = ResolveForm(request.POST)
            if form.is_valid():
                done, skipped = 0, []
                for tx in queryset.order_by("pk"):
                    try:
                        resolve_transaction(
                            tx.pk, actor=request.user, reason=form.cleaned_data["reason"]
                        )
                        done += 1
                    except InvalidTransition:
                        skipped.append(f"#{tx.pk} ({tx.state})")
                self._report(request, f"{done} transaction(s) resolved", skipped)
                return None
        else:
            form = ResolveForm()
        return render(
            request,
            "admin/audit/resolve_transactions.html",
            {
                **self.admin_site.each_context(request),
                "title": "Resolve transactions",
                "form": form,
                "transactions": queryset,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )

    def _report(self, request, done_message, skipped):
        self.message_user(request, done_message, messages.SUCCESS)
        if skipped:
            self.message_user(
                request, "skipped, not failed: " + ", ".join(skipped), messages.WARNING
            )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partner")


def _declared_kinds():
    return [(k.code, f"{k.code}: {k.description}") for k in registry.kinds()]


class RetryPolicyForm(forms.ModelForm):
    kind = forms.ChoiceField(choices=_declared_kinds)

    class Meta:
        model = RetryPolicy
        fields = ["kind", "max_attempts", "delays_seconds", "jitter_ratio"]


@admin.register(RetryPolicy)
class RetryPolicyAdmin(admin.ModelAdmin):
    form = RetryPolicyForm
    list_display = ("kind", "max_attempts", "delays_seconds", "jitter_ratio")
