/**
 * Fixture generators for tests across the workspace (not part of the build). Other packages' tests
 * import this folder by relative path, e.g. `../../../packages/pipeline/src/test-support`.
 */
export * from './text-image';
export * from './test-video';
export * from './corrupt-files';
export * from './hostile-media';
export * from './temp-dir';
export * from './onnx-model';
export * from './shared-assets';
