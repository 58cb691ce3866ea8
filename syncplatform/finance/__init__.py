"""Finance: channel orders reconciled against ERP orders, shipments, invoices and settlements."""
