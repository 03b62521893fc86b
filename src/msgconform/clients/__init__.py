"""`msgconform clients`: a conformance battery that judges client libraries.

The scenarios are data (suites/clients/*.yaml), served by the mock (mock/scenarios_clients.py).
For each one the battery runs an adapter (a command that drives one client library: the request as
JSON on stdin, one JSON line out), then judges what the client built, the requests it sent and
the waits between them (from the mock's own request log) against the scenario and the client's
policy (suites/clients/policies/<client>.yaml). Outcomes are graded and recorded like a provider
run: results.jsonl, junit.xml, report.html, exit status.
"""
