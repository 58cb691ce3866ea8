from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from syncplatform.console.metrics import metrics_view
from syncplatform.core.health import healthz, readyz

# API callers get problem JSON for unrouted URLs and crashes, not HTML pages.
handler404 = "syncplatform.core.problems.not_found_handler"
handler500 = "syncplatform.core.problems.server_error_handler"

admin.site.site_header = "syncplatform operations"
admin.site.site_title = "syncplatform"
# The lists need the width at 1366 px; the home page (the dashboard) leads everywhere.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("api/v1/", include("syncplatform.orders.api.urls")),
    path("api/v1/", include("syncplatform.erpdocs.api.urls")),
    path("api/v1/", include("syncplatform.availability.api.urls")),
    path("api/v1/schema", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/console/", include("syncplatform.console.urls")),
    path("admin/", admin.site.urls),
]
