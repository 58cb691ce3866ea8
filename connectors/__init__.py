"""Talk to the outside world. Nothing here imports Django or the platform (``make lint``).

- ``erp``: the ERP's SOAP sales-order service (zeep client) and the sandbox ERP;
- ``idoc``: IDoc-XML packages (EDI_DC40, DELVRY07, WMMBID02, INVOIC02), read and written streaming;
- ``edi``: ANSI X12 (940, 945, 846, 997): tokenizer, envelopes, documents, 997s;
- ``sftp``: a warehouse's SFTP folders (paramiko, pinned host keys, put-then-rename);
- ``channels``: Shopify order webhooks to canonical orders;
- ``sandbox_warehouse``: an SFTP server and simulated 3PL for the demo.

Connectors take and return plain dataclasses and raise one of the three errors
in :mod:`connectors.errors`; only the transaction runner in ``syncplatform``
turns those into transaction states.
"""
