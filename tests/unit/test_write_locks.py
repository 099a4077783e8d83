"""The unit locks every write transaction starts with: one global order, root first."""

from __future__ import annotations

from domain.repositories.write_locks import lock_plan


def test_a_ward_writer_shares_its_ancestors_and_owns_its_ward() -> None:
    assert lock_plan(["VN.79.760.26734"]) == [
        ("VN", False), ("VN.79", False), ("VN.79.760", False), ("VN.79.760.26734", True)]


def test_two_wards_are_locked_in_the_global_order_whatever_order_they_are_given() -> None:
    a, b = "VN.79.760.26734", "VN.79.760.26737"
    assert lock_plan([b, a]) == lock_plan([a, b])
    plan = lock_plan([b, a])
    assert [p for p, _ in plan] == sorted((p for p, _ in plan), key=lambda p: (p.count("."), p))
    assert dict(plan)[a] and dict(plan)[b] and not dict(plan)["VN.79.760"]


def test_a_unit_under_an_exclusive_one_needs_no_lock_of_its_own() -> None:
    assert lock_plan(["VN.79.760", "VN.79.760.26734"]) == [
        ("VN", False), ("VN.79", False), ("VN.79.760", True)]


def test_the_national_level_owns_everything() -> None:
    assert lock_plan(["VN", "VN.79.760.26734"]) == [("VN", True)]
    assert lock_plan([]) == []


def test_a_batch_of_plain_readings_shares_its_ward() -> None:
    assert lock_plan(["VN.79.760.26734"], exclusive=False)[-1] == ("VN.79.760.26734", False)
