from tests.connectors.sandbox_shop.shop_process import shop, shop_server  # noqa: F401 - fixtures
