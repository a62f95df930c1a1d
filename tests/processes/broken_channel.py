"""A notification channel that always fails (tests/processes/test_channels.py)."""

name = "broken"
label = "Broken"


def deliver(notification) -> None:
    raise RuntimeError("the broken channel is broken")
