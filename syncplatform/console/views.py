"""The console's pages inside the admin: the dashboard fragment and the failure groups.

Thin: each checks the permission, calls one read or one service, and renders.
Reading needs ``audit.view_synctransaction``; retrying and resolving need
``audit.operate_synctransaction``, as on a transaction's own page.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from syncplatform.audit.models import InvalidTransition, SyncTransaction

from . import services
from .charts import WINDOWS, dashboard_charts, legend
from .dashboard import ORDER_POSTING, read_tiles, refresh_seconds
from .groups import MAX_FAILURES_READ, failure_group, failure_groups, open_failures

VIEW_PERMISSION = "audit.view_synctransaction"
OPERATE_PERMISSION = "audit.operate_synctransaction"


def dashboard_context(request) -> dict:
    """What the dashboard template draws; the admin index and the fragment share it."""
    window = request.GET.get("window", "24h")
    window = window if window in WINDOWS else "24h"
    charts = dashboard_charts(window, ORDER_POSTING)
    return {
        "tiles": read_tiles(),
        "charts": [(chart, legend(chart)) for chart in charts],
        "window": window,
        "windows": list(WINDOWS),
        "groups": failure_groups()[:8],
        "can_view_failures": request.user.has_perm(VIEW_PERMISSION),
        "refresh_seconds": refresh_seconds(),
        "fragment_url": reverse("console:dashboard-fragment") + f"?window={window}",
    }


def dashboard_fragment(request):
    """The dashboard's inner HTML, fetched by console/dashboard.js every few seconds."""
    return TemplateResponse(request, "console/dashboard_body.html", dashboard_context(request))


def fixes_for(user, group) -> list:
    """The group's fixes this user may follow (finance sees no add-mapping link)."""
    return [fix for fix in group.cause.fixes if fix.offered_to(user)]


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def failure_list(request):
    _require(request, VIEW_PERMISSION)
    failures = open_failures()
    groups = failure_groups(failures)
    return TemplateResponse(
        request,
        "console/failure_groups.html",
        {
            **admin.site.each_context(request),
            "title": "Failures by cause",
            "groups": [(group, fixes_for(request.user, group)) for group in groups],
            "max_read": MAX_FAILURES_READ,
            "is_truncated": len(failures) >= MAX_FAILURES_READ,
            "can_operate": request.user.has_perm(OPERATE_PERMISSION),
        },
    )


class GroupResolveForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Why none of these needs processing any more (kept in each one's history).",
    )


def _group_or_404(key: str):
    group = failure_group(key)
    if group is None:
        raise Http404("no open failures with this cause any more")
    return group


def failure_detail(request, key: str, form: GroupResolveForm | None = None):
    _require(request, VIEW_PERMISSION)
    group = failure_group(key)
    if group is None:
        messages.info(request, "No open failures with this cause any more.")
        return redirect("console:failures")
    rows = SyncTransaction.objects.filter(pk__in=group.transaction_ids[:500]).select_related(
        "partner"
    )
    return TemplateResponse(
        request,
        "console/failure_group.html",
        {
            **admin.site.each_context(request),
            "title": group.headline,
            "group": group,
            "fixes": fixes_for(request.user, group),
            "transactions": rows.order_by("pk"),
            "can_operate": request.user.has_perm(OPERATE_PERMISSION),
            "form": form or GroupResolveForm(),
        },
    )


@require_POST
def failure_retry(request, key: str):
    _require(request, OPERATE_PERMISSION)
    result = services.retry_group(_group_or_404(key), actor=request.user)
    _report(request, f"{len(result.done)} sent for retry", result)
    return redirect("console:failures")


@require_POST
def failure_resolve(request, key: str):
    _require(request, OPERATE_PERMISSION)
    group = _group_or_404(key)
    form = GroupResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason to resolve them.")
        return failure_detail(request, key, form)
    try:
        result = services.resolve_group(
            group, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except InvalidTransition as refused:
        messages.error(request, str(refused))
        return failure_detail(request, key, form)
    _report(request, f"{len(result.done)} resolved", result)
    return redirect("console:failures")


def _report(request, done: str, result: services.GroupResult) -> None:
    messages.success(request, done)
    if result.skipped:
        skipped = ", ".join(f"#{pk}" for pk in result.skipped)
        messages.warning(request, f"skipped, no longer failed: {skipped}")
