/**
 * Jest environment for tests that run ONNX Runtime (select it with a `@jest-environment` docblock).
 *
 * Jest runs each test file in a vm context with its own Float32Array & co. onnxruntime-node's native binding
 * returns outputs as typed arrays of Node's main realm, and onnxruntime-common (loaded inside the context)
 * checks them with `instanceof` against the context's constructors, so every `session.run()` fails with
 * "A float32 tensor's data must be type of function Float32Array()". Handing the context Node's own typed
 * array constructors makes both sides agree (jest already does this for Uint8Array and ArrayBuffer, for Buffer).
 */
const path = require('node:path');

// jest-environment-node is jest's own dependency (jest -> jest-cli -> jest-config -> jest-environment-node),
// not ours: resolve it along that chain rather than depend on how the package manager hoists it.
const from = (name, parent) => require.resolve(name, { paths: [path.dirname(parent)] });
const jestConfig = from('jest-config', from('jest-cli', require.resolve('jest')));
const { TestEnvironment } = require(from('jest-environment-node', jestConfig));

const TYPED_ARRAYS = [
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class OnnxRuntimeTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxRuntimeTestEnvironment;
