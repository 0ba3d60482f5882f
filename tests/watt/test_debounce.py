import pytest

from watt.debounce import Debouncer


def test_nothing_pending_means_no_deadline() -> None:
    assert Debouncer(quiet=0.02, max_delay=1.0).wait_time(100.0) is None


def test_fires_after_the_quiet_period() -> None:
    d = Debouncer(quiet=0.02, max_delay=1.0)
    d.change(100.0)
    assert d.wait_time(100.0) == pytest.approx(0.02)
    assert d.wait_time(100.05) == 0.0
    assert d.take() == 100.0
    assert not d.pending


def test_each_change_restarts_the_quiet_period() -> None:
    d = Debouncer(quiet=0.1, max_delay=1.0)
    d.change(100.0)
    d.change(100.08)
    assert d.wait_time(100.1) == pytest.approx(0.08)


def test_a_storm_is_capped_by_the_max_delay() -> None:
    d = Debouncer(quiet=0.1, max_delay=0.5)
    for i in range(100):
        d.change(100.0 + i * 0.05)  # a change every 50 ms, forever
        if d.wait_time(100.0 + i * 0.05) == 0.0:
            break
    assert d.first_change == 100.0
    assert d.wait_time(100.5) == 0.0


def test_take_without_a_change_is_a_bug() -> None:
    with pytest.raises(RuntimeError):
        Debouncer(quiet=0.1, max_delay=1).take()


def test_a_retried_burst_waits_until_not_before_and_keeps_its_first_change() -> None:
    d = Debouncer(quiet=0.02, max_delay=1.0)
    d.change(100.0)
    first = d.take()
    d.retry(first, not_before=105.0)
    assert d.wait_time(104.0) == pytest.approx(1.0)
    d.change(104.5)  # new changes meanwhile do not make it due earlier
    assert d.wait_time(104.6) == pytest.approx(0.4)
    assert d.wait_time(105.0) == 0.0
    assert d.take() == 100.0
    d.change(200.0)
    assert d.wait_time(200.0) == pytest.approx(0.02)  # and the next burst is not held back
