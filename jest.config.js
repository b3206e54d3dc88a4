// One jest run for the whole monorepo: a project per workspace, TypeScript
// through ts-jest (transpile only; `tsc --build` does the type checking).
// The global setup starts the local platform's emulators and PostgreSQL once
// and hands their endpoints to the tests through environment variables.
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
};

// The SDK and CLI are ES modules; their tests run as CommonJS (jest's ESM
// support is experimental), so `./x.js` specifiers map back to the sources.
const esmAsCommonJs = {
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../../tsconfig.jest-cjs.json' }] },
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The CLI's tests load the SDK from source too: its dist is an ES module.
    '^@memberships/sdk$': '<rootDir>/../sdk/src/index.ts',
  },
};

function project(displayName, rootDir, overrides = {}) {
  return {
    displayName,
    rootDir,
    testEnvironment: 'node',
    transform,
    ...overrides,
    testMatch: ['<rootDir>/src/**/*.test.ts'],
    moduleFileExtensions: ['ts', 'js', 'json'],
  };
}

/**
 * Jest's default is one worker per core minus one: a single worker on the 2-core CI machines.
 * Most suites wait (on emulators, child processes, retry delays) rather than compute, so two
 * workers there halve the run (measured: 11 min with one, 6 min with two, same 953+ tests).
 */
const maxWorkers = Math.max(2, require('node:os').availableParallelism() - 1);

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers,
  globalSetup: '<rootDir>/tools/local-platform/dist/jest/global-setup.js',
  globalTeardown: '<rootDir>/tools/local-platform/dist/jest/global-teardown.js',
  testTimeout: 60_000,
  projects: [
    project('core', '<rootDir>/packages/core'),
    project('local-platform', '<rootDir>/tools/local-platform'),
    project('scheduler-local', '<rootDir>/tools/scheduler-local'),
    project('api', '<rootDir>/services/api'),
    project('worker', '<rootDir>/services/worker'),
    project('sdk', '<rootDir>/packages/sdk', esmAsCommonJs),
    project('cli', '<rootDir>/packages/cli', esmAsCommonJs),
    project('infra', '<rootDir>/infra/terraform'),
    // The end-to-end suites verify deliveries with the SDK as a receiver would: from its sources, as the CLI's tests do.
    project('e2e', '<rootDir>/test', {
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../tsconfig.jest-cjs.json' }] },
      moduleNameMapper: { ...esmAsCommonJs.moduleNameMapper, '^@memberships/sdk$': '<rootDir>/../packages/sdk/src/index.ts' },
    }),
  ],
};
