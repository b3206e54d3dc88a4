// The fast lane, `npm run test:unit`: the pure suites (`*.unit.test.ts`), which need no emulator,
// no PostgreSQL and no service process, so this config has no global setup. The full
// `npm test` runs them too, beside everything else.
const full = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...full,
  globalSetup: undefined,
  globalTeardown: undefined,
  testTimeout: 10_000,
  projects: full.projects.map((project) => ({ ...project, testMatch: ['<rootDir>/src/**/*.unit.test.ts'] })),
};
