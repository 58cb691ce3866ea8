"""Fulfilment's news, turned into postings (connected in ``ErpdocsConfig.ready``)."""

from syncplatform.fulfillment.signals import shipment_recorded, stock_reported


def on_shipment_recorded(sender, shipment, **_):
    from .services import record_shipment_confirmation

    record_shipment_confirmation(shipment)


def on_stock_reported(sender, warehouse, interchange, materials, **_):
    from .services import record_stock_report

    record_stock_report(warehouse, interchange, materials)


def connect() -> None:
    shipment_recorded.connect(on_shipment_recorded, dispatch_uid="erpdocs.shipment_recorded")
    stock_reported.connect(on_stock_reported, dispatch_uid="erpdocs.stock_reported")
