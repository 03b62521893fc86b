"""`make bench`: the speed of the suite, the mock and the validators, each against a baseline
measured in the same run on the same machine (see `python -m msgconform.bench --help`)."""
