"""The sandbox ERP: a real SOAP 1.1 server for the SalesOrderProcessing_In service.

For the demo, the tests and the benchmarks. Run it with
``python -m connectors.erp.sandbox --bind 127.0.0.1:8001 --store erp.sqlite``
(``--help`` for options) or embed :func:`create_app` in any WSGI server. The
WSDL is at ``http://HOST:PORT/sap/SalesOrder?wsdl``; URLs and fault injection
are described in :mod:`connectors.erp.sandbox.app`.
"""

from connectors.erp.sandbox.app import create_app

__all__ = ["create_app"]
