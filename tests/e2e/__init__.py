"""End to end: the real pipeline, CLI processes and the copied CI files against the emulator."""
