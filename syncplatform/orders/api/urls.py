from django.urls import path

from .views import OrderIntakeView, OrderStatusView, ShopifyOrderWebhookView

urlpatterns = [
    path("orders", OrderIntakeView.as_view(), name="order-intake"),
    path("orders/<int:pk>", OrderStatusView.as_view(), name="order-detail"),
    path(
        "webhooks/shopify/<slug:channel_code>/orders-create",
        ShopifyOrderWebhookView.as_view(),
        name="shopify-orders-create",
    ),
]
