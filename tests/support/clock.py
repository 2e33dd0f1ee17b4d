"""A monotonic clock for unit tests that moves only when the code under test pauses."""


class FakeClock:
    """``clock()`` is the time; ``clock.sleep(s)`` (or ``pause``) records ``s`` in ``pauses`` and moves on at once."""

    def __init__(self, start=0.0):
        self.now = start
        self.pauses = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.pauses.append(seconds)
        self.now += seconds

    pause = sleep
