"""Test support: a pure-torch reference of the canonical neuron and loaders for generated code."""
