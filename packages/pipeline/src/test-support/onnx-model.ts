import { onnx } from 'onnx-proto';

export interface ConstantModelOptions {
  /** Input tensor name and shape, e.g. 'images' [1, 3, 96, 96] (float32; the model ignores its values). */
  inputName?: string;
  inputShape: number[];
  outputName?: string;
  outputShape: number[];
  /** The output's values, row-major, length = product of outputShape. */
  values: Float32Array;
}

/**
 * A tiny ONNX model whose output is a constant tensor: lets a test feed a detector an output of a
 * chosen layout and known values, and check decoding exactly. Returns the serialised model bytes.
 */
export function makeConstantOutputModel(options: ConstantModelOptions): Uint8Array {
  const { inputName = 'images', outputName = 'output0', inputShape, outputShape, values } = options;
  const count = outputShape.reduce((a, b) => a * b, 1);
  if (values.length !== count)
    throw new Error(`makeConstantOutputModel: ${values.length} values for shape [${outputShape.join(',')}] (${count})`);
  const valueInfo = (name: string, dims: number[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: onnx.TensorShapeProto.create({
            dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create({ dimValue: d })),
          }),
        }),
      }),
    });
  const constant = onnx.NodeProto.create({
    opType: 'Constant',
    output: [outputName],
    attribute: [
      onnx.AttributeProto.create({
        name: 'value',
        type: onnx.AttributeProto.AttributeType.TENSOR,
        t: onnx.TensorProto.create({
          dims: outputShape,
          dataType: onnx.TensorProto.DataType.FLOAT,
          rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
        }),
      }),
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 13 })],
    producerName: 'video-jobs tests',
    graph: onnx.GraphProto.create({
      name: 'constant_output',
      node: [constant],
      input: [valueInfo(inputName, inputShape)],
      output: [valueInfo(outputName, outputShape)],
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}
