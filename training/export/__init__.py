"""Exporting the app's model: one ONNX file with its metadata, checked against torch."""
