from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from syncplatform.audit.admin import SubjectTransactionsMixin, transaction_link
from syncplatform.audit.models import SyncTransaction

from .choices import OrderStatus
from .corrections import SHIP_TO_FIELDS, NotCorrectable, correct_failed_order, failed_posting_of
from .models import CHANNEL_ORDER_INTAKE, ERP_ORDER_POST, ChannelOrderReceipt, Order, OrderLine

# An order whose posting failed is still ``received`` in its row; channels see it
# as ``failed`` (Order.public_status), and so do the list and its filter here.
POSTING_GAVE_UP = ("failed", "resolved")


class StatusFilter(admin.SimpleListFilter):
    """The status channels see, so "Failed" finds the orders whose posting failed."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return OrderStatus.choices

    def queryset(self, request, queryset):
        gave_up = Q(status=OrderStatus.RECEIVED, posting_state__in=POSTING_GAVE_UP)
        if self.value() == OrderStatus.FAILED:
            return queryset.filter(gave_up)
        if self.value() == OrderStatus.RECEIVED:
            return queryset.filter(status=OrderStatus.RECEIVED).exclude(gave_up)
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = (
        "line_number",
        "sku",
        "quantity",
        "unit_price",
        "tax_code",
        "tax_amount",
        "discount_amount",
        "quantity_shipped",
    )

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(SubjectTransactionsMixin, admin.ModelAdmin):
    """Orders are read-only here: they change through their transactions."""

    list_display = (
        "id",
        "channel",
        "channel_order_number",
        "shown_status",
        "erp_document_number",
        "grand_total",
        "currency",
        "created_at",
        "transaction_link",
    )
    list_filter = (StatusFilter, "channel", "created_at")
    search_fields = (
        "channel_order_number",
        "channel_order_name",  # what a shop and its payouts call the order (#1001)
        "erp_document_number",
        "correlation_id",
        "idempotency_key",
        "customer_id",
    )
    date_hierarchy = "created_at"
    inlines = [OrderLineInline]
    list_select_related = ("channel",)

    def get_readonly_fields(self, request, obj=None):
        fields = [f.name for f in Order._meta.fields]
        fields[fields.index("status")] = "shown_status"
        may_act = obj and self._may_correct(request, obj)
        correction = ["posting_actions", "correction"] if may_act else []
        return [*correction, *fields, "transaction_link", "transactions"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # View-only, with no Save row, for superusers too; actions and links still work.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # One query for the whole page: the posting transaction's id and state.
        posting = SyncTransaction.objects.filter(
            kind=ERP_ORDER_POST, subject_id=OuterRef("pk")
        ).order_by("pk")
        return (
            super()
            .get_queryset(request)
            .annotate(
                posting_id=Subquery(posting.values("pk")[:1]),
                posting_state=Subquery(posting.values("state")[:1]),
            )
        )

    # --- edit and replay (orders/corrections.py) -------------------------------------------
    def get_urls(self):
        return [
            path(
                "<int:pk>/correct/",
                self.admin_site.admin_view(self.correct_view),
                name="orders_order_correct",
            ),
            *super().get_urls(),
        ]

    def _may_correct(self, request, order) -> bool:
        return request.user.has_perm("audit.operate_synctransaction") and (
            failed_posting_of(order) is not None
        )

    @admin.display(description="failed ERP posting")
    def posting_actions(self, order):
        """Retry now and Resolve of the failed posting, from the order's own page.

        Retry submits the page's form (it carries the CSRF token) to the posting's
        retry URL, which comes back here; Resolve opens the posting's reason form.
        """
        posting = failed_posting_of(order)
        if posting is None:
            return "-"
        return format_html(
            '<button type="submit" class="button" formmethod="post" formaction="{}" '
            'name="next" value="{}">Retry now</button> '
            '<a class="button" href="{}">Resolve</a>'
            '<div class="help">Sends posting #{} to the ERP again, or closes it with a reason.'
            "</div>",
            reverse("admin:audit_synctransaction_retry", args=[posting.pk]),
            reverse("admin:orders_order_change", args=[order.pk]),
            reverse("admin:audit_synctransaction_resolve", args=[posting.pk]),
            posting.pk,
        )

    @admin.display(description="correct and replay")
    def correction(self, order):
        url = reverse("admin:orders_order_correct", args=[order.pk])
        return format_html(
            '<a class="button" href="{}">Correct address or SKUs and replay</a>'
            '<div class="help">Its ERP posting failed. The originals stay in its history.</div>',
            url,
        )

    def correct_view(self, request, pk):
        """The correction form (GET) and correcting then replaying (POST)."""
        order = get_object_or_404(Order, pk=pk)
        if not request.user.has_perm("audit.operate_synctransaction"):
            raise PermissionDenied
        posting = failed_posting_of(order)
        if posting is None:
            self.message_user(
                request, "Only an order whose ERP posting failed can be corrected.", messages.ERROR
            )
            return redirect("admin:orders_order_change", order.pk)
        lines = list(order.lines.all())
        form = OrderCorrectionForm(request.POST or None, order=order, lines=lines)
        if request.method == "POST" and form.is_valid():
            try:
                correction = correct_failed_order(
                    order.pk,
                    actor=request.user,
                    ship_to=form.ship_to(),
                    skus=form.skus(),
                    reason=form.cleaned_data["reason"],
                )
            except NotCorrectable as refused:
                form.add_error(None, str(refused))
            else:
                self.message_user(
                    request,
                    f"Corrected ({correction.describe()}); the ERP posting "
                    f"#{correction.posting_id} is replayed.",
                    messages.SUCCESS,
                )
                return redirect("admin:orders_order_change", order.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": order,
            "posting": posting,
            "form": form,
            "title": f"Correct order {order.channel_order_number} and replay",
        }
        return TemplateResponse(request, "admin/orders/order/correct.html", context)

    @admin.display(description="status", ordering="status")
    def shown_status(self, order):
        if order.status == OrderStatus.RECEIVED and order.posting_state in POSTING_GAVE_UP:
            return OrderStatus.FAILED.label
        return order.get_status_display()

    @admin.display(description="ERP posting")
    def transaction_link(self, order):
        return transaction_link(order.posting_id, order.posting_state)


class OrderCorrectionForm(forms.Form):
    """A failed order's ship-to fields and each line's SKU, filled with what it holds now."""

    def __init__(self, *args, order, lines, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SHIP_TO_FIELDS:
            model_field = Order._meta.get_field(name)
            self.fields[name] = forms.CharField(
                label=model_field.verbose_name.replace("ship to ", "ship-to "),
                max_length=model_field.max_length,
                required=not model_field.blank,
                initial=getattr(order, name),
                strip=True,
            )
        for line in lines:
            self.fields[f"line_{line.line_number}_sku"] = forms.CharField(
                label=f"line {line.line_number} SKU",
                max_length=OrderLine._meta.get_field("sku").max_length,
                initial=line.sku,
                help_text=f"{line.quantity} x {line.unit_price}",
            )
        self.fields["reason"] = forms.CharField(
            required=False, max_length=200, help_text="Optional: why, for the history."
        )

    def clean_ship_to_country(self):
        country = self.cleaned_data["ship_to_country"].upper()
        if len(country) != 2 or not country.isalpha() or not country.isascii():
            raise forms.ValidationError("a two-letter ISO 3166 country code, e.g. US")
        return country

    def ship_to(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in SHIP_TO_FIELDS}

    def skus(self) -> dict[int, str]:
        return {
            int(name.split("_")[1]): value
            for name, value in self.cleaned_data.items()
            if name.startswith("line_")
        }


# The admin page shows this much of a body; a webhook body is far smaller in practice.
BODY_SHOWN_CHARS = 200_000


@admin.register(ChannelOrderReceipt)
class ChannelOrderReceiptAdmin(SubjectTransactionsMixin, admin.ModelAdmin):
    """Signed webhooks as they arrived: read-only, they change through their transactions.

    A held receipt's ``channel.order.intake`` transaction names what keeps it
    from being an order; fix that (channel config, mapping) and "Retry now" it.
    """

    list_display = (
        "id",
        "channel",
        "channel_order_number",
        "shown_status",
        "order_link",
        "intake_link",
        "webhook_id",
        "api_version",
        "created_at",
    )
    list_filter = ("channel", "created_at", "api_version")
    # Exact matches, so each uses an index.
    search_fields = ("=channel_order_number", "=webhook_id", "=correlation_id")
    date_hierarchy = "created_at"
    list_select_related = ("channel", "order")
    fields = (
        "channel",
        "channel_order_number",
        "shown_status",
        "order_link",
        "duplicate_of",
        "webhook_id",
        "api_version",
        "correlation_id",
        "body_sha256",
        "created_at",
        "updated_at",
        "transactions",
        "verbatim_body",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # Bodies are read on the change page only, never for a whole list.
        intake = SyncTransaction.objects.filter(
            kind=CHANNEL_ORDER_INTAKE, subject_id=OuterRef("pk")
        ).order_by("pk")
        return (
            super()
            .get_queryset(request)
            .defer("body")
            .annotate(
                intake_id=Subquery(intake.values("pk")[:1]),
                intake_state=Subquery(intake.values("state")[:1]),
            )
        )

    @admin.display(description="status")
    def shown_status(self, receipt):
        if receipt.order_id:
            return "order"
        if receipt.duplicate_of_id:
            return f"repeats receipt {receipt.duplicate_of_id}"
        return f"held ({receipt.intake_state})" if receipt.intake_state else "held"

    @admin.display(description="order")
    def order_link(self, receipt):
        if receipt.order_id is None:
            return "-"
        url = reverse("admin:orders_order_change", args=[receipt.order_id])
        return format_html('<a href="{}">{}</a>', url, receipt.order)

    @admin.display(description="intake")
    def intake_link(self, receipt):
        return transaction_link(receipt.intake_id, receipt.intake_state)

    @admin.display(description="body as received")
    def verbatim_body(self, receipt):
        text = bytes(receipt.body).decode("utf-8", errors="replace")
        shown = text[:BODY_SHOWN_CHARS]
        more = f"\n… {len(text) - len(shown)} more characters" if len(shown) < len(text) else ""
        return format_html('<pre style="white-space: pre-wrap">{}{}</pre>', shown, more)
