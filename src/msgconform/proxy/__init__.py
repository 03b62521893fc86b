"""`msgconform proxy`: forward an application's real traffic to a provider unchanged, and judge
every exchange on the side: forward.py moves the bytes, judge.py judges, session.py keeps a run."""
