"""Benchmarks: speed, memory and zero-drop reconfiguration, measured on a real gateway."""
