"""Faults of the endpoints besides Messages (ENDP): count_tokens, the models routes and unknown
paths."""

from __future__ import annotations

from msgconform.contract.document import SchemaIssue
from msgconform.mock.hooks import Ctx, Fault, ModelsAnswer
from msgconform.mock.httpio import model_info


def _needs_max_tokens(issues: list[SchemaIssue], ctx: Ctx) -> list[SchemaIssue]:
    """count_tokens refuses a body without max_tokens before anything else it finds."""
    body = ctx.body
    if (
        ctx.route == "/v1/messages/count_tokens"
        and isinstance(body, dict)
        and "max_tokens" not in body
    ):
        return [SchemaIssue("max_tokens", "Field required"), *issues]
    return issues


def _other_model(answer: ModelsAnswer, ctx: Ctx) -> ModelsAnswer:
    if answer.wanted is not None and answer.body is not None:
        others = [i for i in answer.infos if i["id"] != answer.wanted]
        answer.body = (others or [model_info(answer.wanted + "-other")])[0]
    return answer


def _openai_list(answer: ModelsAnswer, ctx: Ctx) -> ModelsAnswer:
    if answer.wanted is None:
        data = [
            {"id": i["id"], "object": "model", "created": 0, "owned_by": "mock"}
            for i in answer.infos
        ]
        answer.body = {"object": "list", "data": data}
    return answer


def _any_model(answer: ModelsAnswer, ctx: Ctx) -> ModelsAnswer:
    if answer.wanted is not None and answer.body is None:
        answer.body = model_info(answer.wanted)
    return answer


def _unknown_path_400(status: int, ctx: Ctx) -> int:
    return 400 if status == 404 and ctx.route is None else status


FAULTS: list[Fault] = [
    Fault(
        "count_tokens_needs_max_tokens",
        "count_tokens refuses a request without max_tokens",
        ("ENDP-001",),
        issues=_needs_max_tokens,
    ),
    Fault(
        "model_info_wrong_id",
        "GET /v1/models/{id} answers another model's info",
        ("ENDP-004",),
        models=_other_model,
    ),
    Fault(
        "models_openai_shape",
        "GET /v1/models answers an OpenAI list {object: list, data}",
        ("ENDP-003",),
        models=_openai_list,
    ),
    Fault(
        "unknown_model_200",
        "GET /v1/models/{id} answers 200 for any id",
        ("ENDP-004",),
        models=_any_model,
    ),
    Fault(
        "unknown_path_not_404",
        "unknown paths get 400 invalid_request_error",
        ("ERR-006", "ENDP-002"),
        status=_unknown_path_400,
    ),
]
