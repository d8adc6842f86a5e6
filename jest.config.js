/** Jest runs every package's tests in ESM mode (binaryen is ESM with a top-level await). */
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { decoratorVersion: '2023-11' },
    },
    module: { type: 'es6' },
    // Inline maps plus node --enable-source-maps make error.stack show the user's real lines.
    sourceMaps: 'inline',
  },
];

export default {
  testEnvironment: 'node',
  // Workspace packages resolve to their TypeScript sources (see each package.json's exports).
  testEnvironmentOptions: { customExportConditions: ['kiln-source', 'node', 'node-addons'] },
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  testMatch: ['<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/benchmarks/test/**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testTimeout: 60000,
};
