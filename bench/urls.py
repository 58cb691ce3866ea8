"""Production's URLs plus the intake baseline (mounted by bench.settings only)."""

from django.urls import include, path

from bench.baseline_intake import BaselineIntakeView

urlpatterns = [
    path("bench/baseline-intake", BaselineIntakeView.as_view(), name="bench-baseline-intake"),
    path("", include("syncplatform.urls")),
]
