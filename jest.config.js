// One jest run for the whole monorepo: a project per workspace, TypeScript
// through ts-jest (transpile only; `tsc --build` does the type checking).
// The global setup starts the local platform's emulators and PostgreSQL once
// and hands their endpoints to the tests through environment variables.
const transform = {
  '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: '<rootDir>/tsconfig.json' }],
};

function project(displayName, rootDir) {
  return {
    displayName,
    rootDir,
    testEnvironment: 'node',
    transform,
    testMatch: ['<rootDir>/src/**/*.test.ts'],
    moduleFileExtensions: ['ts', 'js', 'json'],
  };
}

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/tools/local-platform/dist/jest/global-setup.js',
  globalTeardown: '<rootDir>/tools/local-platform/dist/jest/global-teardown.js',
  testTimeout: 60_000,
  projects: [
    project('core', '<rootDir>/packages/core'),
    project('local-platform', '<rootDir>/tools/local-platform'),
    project('api', '<rootDir>/services/api'),
    project('worker', '<rootDir>/services/worker'),
    project('infra', '<rootDir>/infra/terraform'),
    project('e2e', '<rootDir>/test'),
  ],
};
