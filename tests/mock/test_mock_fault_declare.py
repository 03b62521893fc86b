"""A fault declared on its hook (`@FAULTS.hook`) takes its name from the function and its
description from the docstring; the helpers that build hooks keep both."""

from __future__ import annotations

from dataclasses import fields
from typing import get_args

import pytest

from msgconform.contract.document import SchemaIssue
from msgconform.mock import faults
from msgconform.mock.faults.request import reject_if
from msgconform.mock.hooks import Ctx, ErrorOut, Fault, Faults, HookName

META = {"name", "description", "clauses", "legal", "invariant_only"}


def hooks_set(fault: faults.Fault) -> set[str]:
    return {f.name for f in fields(fault) if f.name not in META and getattr(fault, f.name)}


def ctx(body: object) -> Ctx:
    return Ctx("POST", "/v1/messages", {}, "", "req_1", body=body)


def test_a_hook_declares_its_fault_by_name_and_docstring() -> None:
    table = Faults()

    @table.hook("error", "ERR-001", "ERR-002")
    def _plain_text_errors(err: ErrorOut, ctx: Ctx) -> ErrorOut:
        """errors are plain text

        The first line is the description; the rest says why."""
        return err

    [fault] = table
    assert fault.name == "plain_text_errors"
    assert fault.description == "errors are plain text"
    assert fault.clauses == ("ERR-001", "ERR-002")
    assert (fault.legal, fault.invariant_only) == (False, False)
    assert fault.error is _plain_text_errors
    assert hooks_set(fault) == {"error"}


def test_name_description_and_options_given_explicitly_win() -> None:
    table = Faults()

    @table.hook("status", name="odd_status", description="statuses are odd", legal=True)
    def _status(status: int, ctx: Ctx) -> int:
        """not this"""
        return status + 1

    @table.hook("tokens", "USAGE-002", invariant_only=True)
    def _more_tokens(count: int, ctx: Ctx) -> int:
        """more tokens"""
        return count + 1

    assert [(f.name, f.description, f.legal) for f in table] == [
        ("odd_status", "statuses are odd", True),
        ("more_tokens", "more tokens", False),
    ]
    assert table[1].invariant_only
    assert hooks_set(table[0]) == {"status"}


def test_a_hook_without_a_docstring_or_description_is_refused() -> None:
    table = Faults()
    with pytest.raises(TypeError, match="_undescribed has no docstring"):

        @table.hook("status", "ERR-007")
        def _undescribed(status: int, ctx: Ctx) -> int:
            return status

    assert not table


def test_reject_if_keeps_the_tests_name_and_refuses_only_what_it_picks() -> None:
    @reject_if("top_k", "top_k is not supported")
    def _reject_top_k(body: dict[str, object]) -> bool:
        """requests with top_k get 400"""
        return "top_k" in body

    assert _reject_top_k.__name__ == "_reject_top_k"
    assert _reject_top_k.__doc__ == "requests with top_k get 400"
    refused = [SchemaIssue("top_k", "top_k is not supported")]
    assert _reject_top_k([], ctx({"top_k": 1})) == refused
    assert _reject_top_k([], ctx({"top_p": 1})) == []
    earlier = [SchemaIssue("model", "Field required")]
    assert _reject_top_k(earlier, ctx({"top_k": 1})) == earlier  # the first issue stands


def test_every_collected_fault_sets_a_hook() -> None:
    for fault in faults.FAULTS.values():
        assert hooks_set(fault), fault.name


def test_hook_names_are_the_hooks_of_a_fault() -> None:
    assert set(get_args(HookName)) == {f.name for f in fields(Fault)} - META
