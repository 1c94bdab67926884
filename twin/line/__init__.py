"""The SimPy line model: stations, buffers, transport, the humanoid fleet, chargers, shifts."""

from twin.line.factory import Factory

__all__ = ["Factory"]
