/**
 * ONNX models in and out of Cortado. The protobuf classes of ONNX's own schema
 * ({@code dev.cortado.onnx.proto.Onnx}) are generated at build time from src/main/proto/onnx.proto.
 */
package dev.cortado.onnx;
