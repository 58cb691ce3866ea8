"""The SAP-style ERP: SOAP client (:mod:`.client`), its values (:mod:`.models`), and
the project's own sandbox server for the same service (:mod:`.sandbox`).

Import from the submodules; this package imports nothing so that the sandbox
server does not load zeep.
"""
