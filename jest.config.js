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
  globalSetup: "<rootDir>/tests/lib/tmpdirSetup.ts",
  globalTeardown: "<rootDir>/tests/lib/tmpdirTeardown.ts",
};
