"""How a chaos run times its backlog: the faults' backlog apart from the orders sent after."""

from chaos.plan import SHORT
from chaos.progress import Sample, cleared_at
from chaos.report import targets
from chaos.run import Outcome, _time_backlog


class Samples:
    def __init__(self, samples):
        self.samples = samples


def run_samples():
    # The last fault ends at 100 s with 50 orders stored; the channels send 30 more until
    # 160 s. The 50 are posted by 130 s and shipped by 150 s; everything is shipped at 200 s.
    def at(second, stored, posted, shipped, marked_posted, marked_shipped):
        return Sample(second, stored, posted, shipped, 50, marked_posted, marked_shipped)

    return [
        Sample(90, 45, 20, 10),
        at(101, 50, 25, 12, 25, 12),
        at(130, 60, 52, 30, 50, 30),
        at(150, 70, 60, 55, 50, 50),
        at(170, 80, 75, 60, 50, 50),
        at(185, 80, 80, 70, 50, 50),
        at(200, 80, 80, 80, 50, 50),
    ]


def test_the_faults_backlog_is_timed_apart_from_the_orders_sent_after_the_last_fault():
    outcome = Outcome(SHORT, faults=[], last_fault_ended=100.0, intake_ended=160.0)

    _time_backlog(outcome, Samples(run_samples()))

    assert outcome.backlog_orders == 50
    assert (outcome.backlog_posted, outcome.backlog_clear) == (30.0, 50.0)
    assert (outcome.all_posted, outcome.all_clear) == (85.0, 100.0)


def test_a_backlog_that_never_ships_is_never_clear_and_misses_the_target():
    samples = [Sample(101, 50, 50, 40, 50, 50, 40), Sample(300, 50, 50, 49, 50, 50, 49)]
    outcome = Outcome(SHORT, faults=[], last_fault_ended=100.0, intake_ended=90.0)

    _time_backlog(outcome, Samples(samples))

    assert outcome.backlog_posted == 1.0
    assert outcome.backlog_clear is None and outcome.all_clear is None
    assert cleared_at(samples, after=0, field="marked_shipped", of="marked") is None
    # Before the mark a sample counts no backlog, which is not "clear".
    assert cleared_at([Sample(101, 5, 5, 5)], after=0, field="marked_shipped", of="marked") is None


def test_the_target_is_the_faults_backlog_against_the_plan():
    outcome = Outcome(SHORT, faults=[], backlog_clear=SHORT.backlog_target_seconds + 1)
    outcome.figures = FakeFigures()
    assert not _backlog_target(outcome).is_met
    outcome.backlog_clear = SHORT.backlog_target_seconds
    assert _backlog_target(outcome).is_met


class FakeFigures:  # targets() reads only these beside the backlog
    lost = duplicated = server_errors_for_stored = 0


def _backlog_target(outcome):
    (target,) = [t for t in targets(outcome) if "backlog" in t.description]
    return target
