"""Faults of the endpoints besides Messages (ENDP): count_tokens, the models routes and unknown
paths."""

from __future__ import annotations

from msgconform.contract.document import SchemaIssue
from msgconform.mock.hooks import Ctx, Faults, ModelsAnswer
from msgconform.mock.httpio import model_info

FAULTS = Faults()


@FAULTS.hook("issues", "ENDP-001")
def _count_tokens_needs_max_tokens(issues: list[SchemaIssue], ctx: Ctx) -> list[SchemaIssue]:
    """count_tokens refuses a request without max_tokens

    It refuses a body without max_tokens before anything else it finds."""
    body = ctx.body
    if (
        ctx.route == "/v1/messages/count_tokens"
        and isinstance(body, dict)
        and "max_tokens" not in body
    ):
        return [SchemaIssue("max_tokens", "Field required"), *issues]
    return issues


@FAULTS.hook("models", "ENDP-004")
def _model_info_wrong_id(answer: ModelsAnswer, ctx: Ctx) -> ModelsAnswer:
    """GET /v1/models/{id} answers another model's info"""
    if answer.wanted is not None and answer.body is not None:
        others = [i for i in answer.infos if i["id"] != answer.wanted]
        answer.body = (others or [model_info(answer.wanted + "-other")])[0]
    return answer


@FAULTS.hook("models", "ENDP-003")
def _models_openai_shape(answer: ModelsAnswer, ctx: Ctx) -> ModelsAnswer:
    """GET /v1/models answers an OpenAI list {object: list, data}"""
    if answer.wanted is None:
        data = [
            {"id": i["id"], "object": "model", "created": 0, "owned_by": "mock"}
            for i in answer.infos
        ]
        answer.body = {"object": "list", "data": data}
    return answer


@FAULTS.hook("models", "ENDP-004")
def _unknown_model_200(answer: ModelsAnswer, ctx: Ctx) -> ModelsAnswer:
    """GET /v1/models/{id} answers 200 for any id"""
    if answer.wanted is not None and answer.body is None:
        answer.body = model_info(answer.wanted)
    return answer


@FAULTS.hook("status", "ERR-006", "ENDP-002")
def _unknown_path_not_404(status: int, ctx: Ctx) -> int:
    """unknown paths get 400 invalid_request_error"""
    return 400 if status == 404 and ctx.route is None else status
