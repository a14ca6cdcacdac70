"""The ``swift-video`` command line."""
