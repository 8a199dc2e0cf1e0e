"""Python client for the Ferry controller API.

``ferry.v1`` is generated from proto/ (``npm run generate``); ``ferry.client``
is the hand-written helper. Install with ``pip install ./gen/python`` (package
``ferry-client``); see docs/clients.md.
"""
