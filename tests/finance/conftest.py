"""Fixtures for finance: users of each group, reports written to a temporary folder."""

import pytest
from django.contrib.auth.models import Group, User


@pytest.fixture(autouse=True)
def reports_dir(settings, tmp_path):
    settings.SYNC_REPORTS_DIR = str(tmp_path / "reports")
    settings.SYNC_PUBLIC_URL = "https://sync.example.com"
    return tmp_path / "reports"


@pytest.fixture
def finance_user(db) -> User:
    user = User.objects.create_user("fin", is_staff=True)
    user.groups.add(Group.objects.get(name="finance"))
    return user


@pytest.fixture
def operator(db) -> User:
    user = User.objects.create_user("ops", is_staff=True)
    user.groups.add(Group.objects.get(name="operations"))
    return user
