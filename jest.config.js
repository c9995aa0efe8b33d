/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  // SWC strips types without checking them (tsc --noEmit does that once, in `npm test`): measured
  // against ts-jest in the README.
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { target: "es2022" } }] },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  globalSetup: "<rootDir>/__tests__/support/global-setup.ts",
  // Both cores: jest's default leaves one idle on a 2-core machine, and most files wait on child processes.
  maxWorkers: 2,
};
