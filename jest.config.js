/** One jest run over every package; workspace imports resolve to source so tests need no build. */
const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];
// PGlite's CommonJS build calls import() (fs, zlib, node:module), which jest's vm refuses without
// --experimental-vm-modules; compiling it with swc turns those into require().
const swcJs = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc, '/@electric-sql/pglite/dist/.+\\.cjs$': swcJs },
  transformIgnorePatterns: ['/node_modules/(?!(\\.pnpm/@electric-sql\\+pglite|@electric-sql/pglite)[@/])'],
  testMatch: ['<rootDir>/{apps,packages,tools}/**/*.test.ts', '<rootDir>/{apps,packages,tools}/**/*.test.js'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  moduleNameMapper: {
    '^@video-jobs/core/(errors|test-support)$': '<rootDir>/packages/core/src/$1',
    '^@video-jobs/(core|pipeline|client)$': '<rootDir>/packages/$1/src/index.ts',
  },
  testTimeout: 60000,
};
