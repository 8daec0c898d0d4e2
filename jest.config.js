// Transpile-only (swc): type-checking is `tsc --noEmit`, run separately by `npm test`.
const swc = ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022", transform: { useDefineForClassFields: false } } }];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  // One worker per core (jest's default leaves one idle: 25 s instead of 15 s for the unit tests on 2 cores).
  maxWorkers: "100%",
  transform: { "^.+\\.ts$": swc },
  testMatch: ["<rootDir>/tests/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/tests/integration/"],
  moduleFileExtensions: ["ts", "js", "json"],
  // A test that asserts nothing fails (a loop that ran zero times is not a pass).
  setupFilesAfterEnv: ["<rootDir>/tests/lib/jest/everyTestAsserts.ts"],
  // jest's default 5 s per test (hooks included) is too close: setup hooks took 3.4 s at load 4 on 2 cores.
  testTimeout: 30_000,
  globalSetup: "<rootDir>/tests/lib/jest/tmpdirSetup.ts",
  globalTeardown: "<rootDir>/tests/lib/jest/tmpdirTeardown.ts",
};
