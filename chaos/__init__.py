"""The chaos suite: the outside fault-and-abuse run of issue 9, kept in the project.

``make chaos`` (``python -m chaos``) starts the production set-up on loopback
(``stack``), posts orders through the REST API (``load``) while the faults hit
it one after another (``faults``), samples the backlog (``progress``), counts
what was lost, duplicated and answered 5xx (``figures``) and prints it against
the targets (``report``). ``make test`` runs the short plan
(tests/e2e/test_chaos_e2e.py).
"""
