"""Available-to-sell: per channel SKU and location, the warehouse's stock less open orders and safety stock."""
