"""The two operators of ``bench.operators_compare``: the same work, written
with kubelite's framework and with kopf."""
