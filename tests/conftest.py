"""Fixtures shared across the Django tests. Nothing here starts a server (see `make test`)."""

import pytest

MD5_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(autouse=True)
def fast_password_hashing(request):
    """Users made by tests need no real password stretching (about a second per test).

    Not for end-to-end tests: their users log in to a real server, which only
    knows the production hashers.
    """
    if request.config.pluginmanager.has_plugin("django") and "e2e" not in request.path.parts:
        request.getfixturevalue("settings").PASSWORD_HASHERS = [MD5_HASHER]


def _partner(code: str, name: str, kind: str):
    from syncplatform.partners.models import Partner

    return Partner.objects.create(code=code, name=name, kind=kind)


@pytest.fixture
def channel(db):
    return _partner("demo-web", "Demo web", "channel")


@pytest.fixture
def warehouse(db):
    return _partner("demo-3pl", "Demo 3PL", "warehouse")


@pytest.fixture
def erp(db):
    return _partner("demo-erp", "Sandbox ERP", "erp")


@pytest.fixture
def published(monkeypatch) -> list[tuple[str, list]]:
    """Every ``send_task`` call as ``(task name, args)``, in order; the broker is never used."""
    sent: list[tuple[str, list]] = []
    monkeypatch.setattr(
        "syncplatform.audit.dispatch.celery_app.send_task",
        lambda name, args=None, **options: sent.append((name, list(args or []))),
    )
    return sent


@pytest.fixture
def change_form_data():
    """The POST body a browser sends back unchanged from an admin change page (with inlines)."""

    from django import forms

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
