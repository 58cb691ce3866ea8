"""Where the daily put-into-force of prices stands."""

from django.db import models


class PriceDayMark(models.Model):
    """The last day whose prices coming into force (or running out) were put on listings.

    One row, written only by ``services.prices_in_force``. The next run looks
    at every day after it, so a day the job missed is caught up.
    """

    through_date = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"prices in force through {self.through_date}"
