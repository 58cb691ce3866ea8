"""The console's pages, mounted under /admin/console/ and behind the admin's login."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "console"

urlpatterns = [
    path(
        "dashboard/fragment/",
        admin.site.admin_view(views.dashboard_fragment),
        name="dashboard-fragment",
    ),
    path("failures/", admin.site.admin_view(views.failure_list), name="failures"),
    path("failures/<str:key>/", admin.site.admin_view(views.failure_detail), name="failure"),
    path(
        "failures/<str:key>/retry/",
        admin.site.admin_view(views.failure_retry),
        name="failure-retry",
    ),
    path(
        "failures/<str:key>/resolve/",
        admin.site.admin_view(views.failure_resolve),
        name="failure-resolve",
    ),
]
