"""What we send the ERP: packages and their IDocs, postings by state, stock comparisons."""

from django import forms
from django.contrib import admin, messages
from django.db.models.functions import Length

from syncplatform.audit.admin import SubjectTransactionsMixin, retry_in_admin, transaction_link
from syncplatform.audit.choices import TransactionState
from syncplatform.audit.models import InvalidTransition, SyncTransaction

from ..choices import ERP_IDOC_POSTING, PostingState
from ..models import Idoc, IdocPackage, Posting, StockComparison, StockComparisonLine
from ..services import release_package
from .base import DownloadMixin, ReadOnlyAdmin, ReadOnlyInline, change_link, control_table


class IdocInline(ReadOnlyInline):
    model = Idoc
    fields = ("position", "docnum", "erp_docnum", "status", "status_text", "posting_link")
    readonly_fields = fields
    showchange_link = True

    @admin.display(description="posting")
    def posting_link(self, idoc):
        return change_link(idoc.posting)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("posting")


@admin.register(IdocPackage)
class IdocPackageAdmin(DownloadMixin, SubjectTransactionsMixin, ReadOnlyAdmin):
    list_display = (
        "id",
        "erp",
        "file_name",
        "message_type",
        "idoc_count",
        "state",
        "sent_at",
        "transaction_link",
    )
    list_filter = ("state", "message_type", "erp", "created_at")
    search_fields = ("=first_docnum", "=message_id", "=sha256")
    exclude = ("content",)
    inlines = [IdocInline]
    actions = ["release_postings"]
    list_select_related = ("erp", "transaction")

    def get_queryset(self, request):
        return (
            super().get_queryset(request).defer("content").annotate(content_size=Length("content"))
        )

    def get_readonly_fields(self, request, obj=None):
        fields = [f.name for f in IdocPackage._meta.fields if f.name != "content"]
        return [*fields, "download", "transaction_link", "transactions"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_release_permission(self, request):
        return request.user.has_perm("audit.operate_synctransaction")

    @admin.display(description="transaction")
    def transaction_link(self, obj):
        tx = obj.transaction
        return transaction_link(tx.pk, tx.state) if tx else "-"

    @admin.action(
        description="Release the postings of packages the ERP refused (next package)",
        permissions=["release"],
    )
    def release_postings(self, request, queryset):
        for package in queryset.order_by("pk"):
            try:
                count = release_package(package.pk, actor=request.user, reason="released in admin")
            except (ValueError, InvalidTransition) as error:
                self.message_user(request, f"{package}: {error}", messages.WARNING)
            else:
                self.message_user(request, f"{package}: {count} posting(s) pending again")


@admin.register(Idoc)
class IdocAdmin(ReadOnlyAdmin):
    """Every IDoc we sent: control record, ERP number and status."""

    list_display = ("docnum", "erp_docnum", "package", "posting", "status", "status_at")
    list_filter = ("status", "is_current", ("package__erp", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=docnum", "=erp_docnum")
    list_select_related = ("package", "posting")
    fields = (
        "docnum",
        "erp_docnum",
        "package",
        "position",
        "posting",
        "status",
        "status_text",
        "status_at",
        "is_current",
        "resends",
        "failure_transaction",
        "control_record",
    )
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="control record (EDI_DC40)")
    def control_record(self, idoc):
        return control_table(idoc.control)


class PostingIdocInline(IdocInline):
    fk_name = "posting"
    fields = ("docnum", "erp_docnum", "package", "status", "status_text", "is_current")
    readonly_fields = fields


class PostingForm(forms.ModelForm):
    class Meta:
        model = Posting
        fields = ["delivery_number", "document"]


@admin.register(Posting)
class PostingAdmin(SubjectTransactionsMixin, admin.ModelAdmin):
    """Postings by state. A failed one may be corrected (delivery number, document) and
    resent: the next package carries it as a new IDoc referencing the failed one."""

    form = PostingForm
    list_display = ("id", "kind", "erp", "reference", "order", "state", "last_status", "updated_at")
    list_filter = ("state", "kind", "erp", "created_at")
    search_fields = ("reference", "=delivery_number", "idocs__docnum", "idocs__erp_docnum")
    inlines = [PostingIdocInline]
    actions = ["resend"]
    list_select_related = ("erp", "order")

    def get_readonly_fields(self, request, obj=None):
        fixed = ["kind", "erp", "state", "reference", "order", "shipment", "stock_line"]
        fixed += ["resend_of", "posted_at", "transactions"]
        if obj is None or obj.state != PostingState.FAILED:
            fixed += ["delivery_number", "document"]
        return fixed

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("audit.operate_synctransaction")

    @admin.display(description="ERP status")
    def last_status(self, posting):
        idoc = posting.current_idoc
        return f"{idoc.status} {idoc.status_text[:60]}" if idoc and idoc.status else "-"

    @admin.action(
        description="Resend failed postings (after fixing the cause)", permissions=["resend"]
    )
    def resend(self, request, queryset):
        failed = queryset.filter(state=PostingState.FAILED)
        pairs = []
        for posting in failed.order_by("pk"):
            tx = (
                SyncTransaction.objects.about(posting)
                .filter(kind=ERP_IDOC_POSTING, state=TransactionState.FAILED)
                .order_by("-pk")
                .first()
            )
            if tx is not None:
                pairs.append((tx.pk, str(posting)))
        retry_in_admin(self, request, pairs, reason="resend of {label}", noun="posting(s)")


class StockComparisonLineInline(ReadOnlyInline):
    model = StockComparisonLine
    fields = (
        "material",
        "unit",
        "warehouse_quantity",
        "erp_quantity",
        "difference",
        "is_above_tolerance",
        "note",
        "posting_link",
    )
    readonly_fields = fields

    @admin.display(description="posting")
    def posting_link(self, line):
        posting = Posting.objects.filter(stock_line=line).first()
        return change_link(posting) if posting else "-"


@admin.register(StockComparison)
class StockComparisonAdmin(SubjectTransactionsMixin, ReadOnlyAdmin):
    """An 846 beside the ERP's stock, line by line."""

    list_display = ("id", "warehouse", "erp", "interchange", "plant", "state", "compared_at")
    list_filter = ("state", "warehouse", "erp")
    inlines = [StockComparisonLineInline]
    list_select_related = ("warehouse", "erp", "interchange")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in StockComparison._meta.fields] + ["transactions"]
