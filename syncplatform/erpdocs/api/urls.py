from django.urls import path

from .views import ErpIdocInboundView

urlpatterns = [
    path("erp/<slug:partner_code>/idocs", ErpIdocInboundView.as_view(), name="erp-idoc-inbound"),
]
