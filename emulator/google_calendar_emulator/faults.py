"""Scriptable fault injection (per test) for whole HTTP requests and batch parts."""

import dataclasses
import random
import re
import threading

KINDS = {"429", "403_rate", "403_user_rate", "500", "503", "slow", "drop", "lost_response"}


@dataclasses.dataclass
class Fault:
    kind: str
    method: str = None
    path: object = None  # compiled regex
    times: int = 1  # None: unlimited
    probability: float = None
    retry_after: float = None
    delay: float = None
    in_batch: bool = None
    skip: int = 0  # let this many matching requests pass before the fault applies
    hits: int = 0

    def matches(self, method, path, in_batch):
        if self.in_batch is not None and self.in_batch != in_batch:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        if self.path is not None and not self.path.search(path):
            return False
        return True


class Faults:
    """The fault plan of a server: `server.faults.add("429", path="/events", times=2)`."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []
        self._rng = random.Random(0)

    def add(
        self,
        kind,
        *,
        method=None,
        path=None,
        times=1,
        probability=None,
        retry_after=None,
        delay=None,
        in_batch=None,
        skip=0,
    ):
        """Register a fault; returns it (its `hits` attribute counts applications).

        ``skip=k`` lets the first k matching requests pass untouched (counted before
        ``probability`` is drawn): "fail the (k+1)-th call" for crash-point tests.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(KINDS)}")
        fault = Fault(
            kind=kind,
            method=method,
            path=re.compile(path) if path else None,
            times=times,
            probability=probability,
            retry_after=retry_after,
            delay=delay,
            in_batch=in_batch,
            skip=int(skip or 0),
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self):
        with self._lock:
            self._faults.clear()

    def seed(self, value):
        with self._lock:
            self._rng = random.Random(value)

    @property
    def pending(self):
        with self._lock:
            return [f for f in self._faults if f.times is None or f.times > 0]

    def take(self, method, path, in_batch):
        """The fault to apply to this request (consuming one of its `times`), or None."""
        with self._lock:
            for fault in self._faults:
                if fault.times is not None and fault.times <= 0:
                    continue
                if not fault.matches(method, path, in_batch):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                fault.hits += 1
                return fault
        return None
