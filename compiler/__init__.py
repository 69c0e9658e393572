"""snnc: compile one JSON spec of a spiking neural network into runnable Python
for snnTorch, SpikingJelly and BindsNET.

Kept import-light on purpose: importing ``compiler`` loads nothing else; the
frontend (``compiler.frontend``), the diagnostics and the driver are imported
where they are used.
"""

__version__ = "0.1.0"
