"""Dates and times as operations read them in the admin: ISO order, 24 h, with seconds.

Django's English formats drop the seconds ("Dec. 7, 2026, 1:05 p.m."), and two
events of one attempt are often within the same minute. Settings point
FORMAT_MODULE_PATH here; the API's ISO 8601 timestamps are not affected.
"""

DATETIME_FORMAT = "Y-m-d H:i:s"
SHORT_DATETIME_FORMAT = "Y-m-d H:i:s"
TIME_FORMAT = "H:i:s"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
