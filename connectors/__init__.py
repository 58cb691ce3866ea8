"""Talk to the outside world: ERP (SOAP, IDoc), EDI X12, SFTP, sales channels.

Nothing here imports Django. Connectors take and return plain dataclasses and
raise one of the three errors in :mod:`connectors.errors`; only the transaction
runner in ``syncplatform`` turns those into transaction states.
"""
