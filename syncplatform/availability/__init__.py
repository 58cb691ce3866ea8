"""Available-to-sell: per channel SKU and location, stock less open orders and safety stock."""
