// IGONNX module
