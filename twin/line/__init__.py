"""The SimPy line model: stations, buffers, transport, the humanoid fleet, chargers, shifts.

The objects an event touches (robots, stations and their servers, buffers, legs, work spots)
keep their fields in ``__slots__``: one block of memory each, not a dict beside it. A
500-robot hall touches hundreds of them in turn, each gone cold in the processor's caches since
its last event, and a run's processor time goes as much to those misses as to instructions
(1.7x the time per event of a 30-robot plant at the same instructions per event).
"""

from twin.line.factory import Factory

__all__ = ["Factory"]
