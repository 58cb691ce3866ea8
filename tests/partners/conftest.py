"""Partners with stored secrets, and the admin form data a browser would post back."""

import pytest
from django import forms
from django.contrib.auth.models import Group, User

from syncplatform.partners.models import ChannelConfig, ErpEndpoint

WEBHOOK_SECRET = "whsec-clear-7f3a9c"
ERP_PASSWORD = "erp-clear-pass-51d2"


@pytest.fixture
def channel_config(channel, erp) -> ChannelConfig:
    return ChannelConfig.objects.create(
        partner=channel, erp=erp, default_sold_to="0000999999", webhook_secret=WEBHOOK_SECRET
    )


@pytest.fixture
def erp_endpoint(erp) -> ErpEndpoint:
    return ErpEndpoint.objects.create(
        partner=erp,
        wsdl_url="http://127.0.0.1:8001/sap/SalesOrder?wsdl",
        username="RFC_USER",
        password=ERP_PASSWORD,
    )


@pytest.fixture
def operator(db) -> User:
    user = User.objects.create_user("ops", is_staff=True)  # force_login: no password
    user.groups.add(Group.objects.get(name="operations"))
    return user


@pytest.fixture
def change_form_data():
    """The POST body a browser sends back unchanged from an admin change page (with inlines)."""

    def collect(page) -> dict:
        data: dict = {"_save": "Save"}

        def add(form):
            for bound in form:
                value = bound.value()
                widget = bound.field.widget
                if isinstance(widget, forms.PasswordInput) and not widget.render_value:
                    data[bound.html_name] = ""  # a browser has nothing to send back
                elif isinstance(widget, forms.CheckboxInput):
                    if value:
                        data[bound.html_name] = "on"
                elif value is not None:
                    data[bound.html_name] = value

        add(page.context["adminform"].form)
        for inline in page.context["inline_admin_formsets"]:
            add(inline.formset.management_form)
            for form in inline.formset.forms:
                add(form)
        return data

    return collect
