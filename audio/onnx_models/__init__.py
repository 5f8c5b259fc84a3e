"""The speaker networks (segmentation-3.0, the GE2E voice encoder) as ONNX graphs run by onnxruntime.

``proto``: a minimal ONNX writer (no ``onnx`` package); ``session``: CPU sessions and PyTorch LSTM
weights in ONNX's layout; ``segmentation`` and ``voice``: the two graphs, built from the same
weights as the NumPy passes in :mod:`analysis.speakers`.
"""
