"""Payout files in the shapes providers export them, written by this project for its tests.

SHOPIFY_HEADER is the column set of the Shopify admin's "Export transactions"
file (Finance > Payouts), as Shopify documents the export and as merchants'
files published in open-source importers show it (newer exports append VAT
and Business Entity columns, which the import ignores). The rows below are
invented: made-up orders, amounts, cards and payout ids.
"""

SHOPIFY_HEADER = (
    "Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,Payout ID,"
    "Available On,Amount,Fee,Net,Checkout,Payment Method Name,Presentment Amount,"
    "Presentment Currency,Currency"
)


def shopify_row(
    order: str = "#1001",
    *,
    kind: str = "charge",
    amount: str = "51.13",
    fee: str = "1.78",
    net: str = "49.35",
    currency: str = "USD",
    payout_date: str = "2026-11-25",
    payout_id: str = "98765432101",
    status: str = "paid",
) -> str:
    return (
        f"2026-11-23 10:15:00 -0500,{kind},{order},visa,online,{status},{payout_date},"
        f"{payout_id},{payout_date},{amount},{fee},{net},#24680135790,card,{amount},"
        f"{currency},{currency}"
    )


def shopify_file(*rows: str, header: str = SHOPIFY_HEADER) -> bytes:
    """The file as Shopify writes it: UTF-8 with a byte-order mark, CRLF line ends."""
    return ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode()
