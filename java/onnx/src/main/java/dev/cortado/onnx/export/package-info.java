/**
 * Export to ONNX: {@link dev.cortado.onnx.export.OnnxExport} writes a NetChain, or a module of
 * Cortado's layers, as an ONNX model (opset 17) whose outputs are Cortado's eval-mode outputs.
 * One table ({@code LayerExporters}) maps each layer class to its ONNX nodes.
 */
package dev.cortado.onnx.export;
