"""swift-video-ext: video model types, templates and dataset preprocessors for ms-swift."""

__version__ = '0.1.0'
