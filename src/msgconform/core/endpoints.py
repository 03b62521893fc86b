"""The paths of the Messages API family, shared by probes, the generator and the mock."""

MESSAGES = "/v1/messages"
COUNT_TOKENS = "/v1/messages/count_tokens"
MODELS = "/v1/models"
