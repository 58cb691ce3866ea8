"""The sandbox ERP: a real SOAP 1.1 server for the SalesOrderProcessing_In service,
and IDoc inbound (SOAP and XML-HTTP) with statuses, stock and INVOIC02 pushes.

For the demo, the tests and the benchmarks. Run it with
``python -m connectors.erp.sandbox --bind 127.0.0.1:8001 --store erp.sqlite``
(``--help`` for options) or embed :func:`create_app` in any WSGI server. The
WSDL is at ``http://HOST:PORT/sap/SalesOrder?wsdl``; URLs and fault injection
are described in :mod:`connectors.erp.sandbox.app`.

Modules: ``app`` (routes), ``sales_orders`` and ``soap`` (the SOAP service),
``idoc_endpoints`` (IDoc URLs), ``idoc_posting`` (53 or 51), ``billing``
(INVOIC02 and its push), ``background`` (the thread that posts and pushes),
``store``, ``idoc_store``, ``books`` and ``idoc_records`` (SQLite), ``settings``
(``/_sandbox/config``), ``stats`` (peak concurrency), ``wsgi_io``.
"""

from connectors.erp.sandbox.app import create_app

__all__ = ["create_app"]
