"""ONNX model loading, the model contract, channel mapping."""
