import pytest

from tests.connectors.sandbox_shop.shop_process import running_sandbox_shop


@pytest.fixture(scope="module")
def shop_server(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("sandbox-shop")
    with running_sandbox_shop(log_dir, "--location", "WEB-DC", "--location", "STORE-017") as shop:
        yield shop


@pytest.fixture
def shop(shop_server):
    shop_server.reset()
    return shop_server
