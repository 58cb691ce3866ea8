"""Channel payload adapters: a channel's native order payload → the canonical order.

Contract for every adapter in this package:

* An adapter is a pure function from the channel's decoded payload (plus a
  little configuration such as a default location) to the canonical order
  dict that ``POST /api/v1/orders`` accepts (DESIGN.md §9): money as
  decimal strings in the currency's minor unit, positive integer quantities,
  and totals computed by the platform's rules (subtotal = sum of quantity *
  unit_price, tax = sum of line tax, discount = sum of line discount,
  grand_total = subtotal + tax + shipping - discount).
* The platform validates the canonical dict the same way for every channel;
  an adapter does not replace that validation, it only translates. Channel
  codes (SKUs, locations, tax codes, shipping methods) stay channel codes:
  the mapping tables translate them to ERP codes later. A value a genuine
  order may lack (a street, a shipping method) is left ``""`` (or the
  channel's default) for that validation to name, not refused here.
* A payload that cannot be mapped raises ``ChannelPayloadError`` (a
  ``PermanentError``) naming the path of every offending field in the
  channel's own payload; no other exception escapes for any decoded-JSON input.
* Adapters never import Django and keep no state, so mapping the same payload
  twice gives the same dict.

Modules: ``shopify`` (``orders/create`` webhooks and their HMAC signature),
``fields`` (path-aware JSON reads), ``money`` (exact amounts per currency).
"""
