"""IDoc postings to the ERP (shipment confirmations, stock differences) and ERP documents back."""
