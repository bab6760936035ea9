/**
 * Jest environment for test files that run ONNX Runtime; select it with a docblock:
 *   /** @jest-environment <rootDir>/packages/pipeline/src/test-support/onnxruntime-environment.js *\/
 *
 * Jest runs each test file in a vm context with its own typed-array constructors. onnxruntime-node's
 * native binding returns outputs as typed arrays of Node's main realm, and onnxruntime-common (loaded
 * inside the context) checks them with `instanceof` against the context's constructors, so every
 * session.run() fails with "A float32 tensor's data must be type of function Float32Array()". Giving
 * the context Node's own constructors makes both sides agree. (Same approach as the PP-OCR tests'
 * environment; this one lives with the shared fixtures.)
 */
const path = require('node:path');

// jest-environment-node is a dependency of jest itself: resolve it along jest's own chain.
const from = (name, parent) => require.resolve(name, { paths: [path.dirname(parent)] });
const jestConfig = from('jest-config', from('jest-cli', require.resolve('jest')));
const { TestEnvironment } = require(from('jest-environment-node', jestConfig));

const TYPED_ARRAYS = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class OnnxRuntimeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxRuntimeEnvironment;
