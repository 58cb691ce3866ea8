"""``{% console_dashboard %}``: the dashboard on the admin index (templates/admin/index.html)."""

from django import template

from ..views import dashboard_context

register = template.Library()


@register.inclusion_tag("console/dashboard.html", takes_context=True)
def console_dashboard(context):
    request = context["request"]
    if not request.user.is_staff:
        return {"hidden": True}
    return dashboard_context(request)
