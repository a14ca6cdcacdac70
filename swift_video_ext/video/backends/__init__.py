"""Decoding backends: PyAV (default), decord and torchcodec (optional), and frame-image sequences."""
