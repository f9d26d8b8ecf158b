"""Helpers for testing kubelite and code built on it: real servers on loopback."""
