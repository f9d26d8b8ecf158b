"""kubelite's framework for controllers: informers that cache what they watch,
work queues, and reconcilers (see ``queue.py`` and ``informer.py``)."""
