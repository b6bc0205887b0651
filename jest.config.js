/** Jest runs the TypeScript sources as ES modules through ts-jest (docs/toolchain.md, "Jest and ESM"). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }]
  },
  testMatch: ['**/__tests__/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 30000,
  // Builds the bundle of the current sources for the e2e tests (see the file).
  globalSetup: '<rootDir>/__tests__/setup/bundle.js'
}
