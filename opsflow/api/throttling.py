"""The API's request rate per person (``OPSFLOW_API_RATE``, 6000/minute by default), counted with one
atomic increment per request.

DRF's own ``UserRateThrottle`` keeps the time of every request in the window as a list in the cache:
each request reads the whole list, trims it and writes it back. That is two round trips to Redis and,
for a busy integration, a pickled list of up to the whole rate (6,000 timestamps, some 54 KB) moved
twice per request; and two requests at the same moment both write back their own copy, so one of them
is not counted. Here each window has a counter that the cache increments atomically (Redis ``INCR``,
the local-memory cache under its lock): one round trip, a few bytes, every request counted.

The windows are fixed (``minute 17:04``, ``minute 17:05`` ...), so a client can reach up to twice the
rate across the boundary of two windows; ``Retry-After`` says when the current window ends.

Measured in docs/benchmarks.md, "2026-12-01 05:14-05:35 UTC". ``OPSFLOW_FAST_PATH_OFF=counter_throttle``
runs DRF's own ``UserRateThrottle`` (opsflow/fastpath/__init__.py).
"""

from rest_framework import throttling

from opsflow.fastpath.switches import enabled


class UserRateThrottle(throttling.UserRateThrottle):
    def allow_request(self, request, view):
        if not enabled("counter_throttle"):
            self.window_end = None
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_end = (window + 1) * self.duration
        key = f"{key}_{window}"
        try:
            count = self.cache.incr(key)
        except ValueError:  # the window's first request (the key is missing)
            count = 1 if self.cache.add(key, 1, self.duration) else self._incr_after_race(key)
        # None: the cache is unreachable (Redis down, errors ignored); requests are not refused for it
        return count is None or count <= self.num_requests

    def _incr_after_race(self, key):
        """Another request created the window's key between our increment and our add."""
        try:
            return self.cache.incr(key)
        except ValueError:  # add refused without a key: the cache drops writes (unreachable)
            return None

    def wait(self):
        if self.window_end is None:  # DRF's own count
            return super().wait()
        return max(self.window_end - self.now, 0)
