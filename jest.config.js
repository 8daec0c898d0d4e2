// Transpile-only (swc): type-checking is `tsc --noEmit`, run separately by `npm test`.
const swc = ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022", transform: { useDefineForClassFields: false } } }];

/**
 * The whole-program tests: they evaluate index.ts (or a program on the full provider SDKs) under the mock
 * engine. The first evaluation in a jest file costs ~1.6 s of loading @pulumi/aws and the other SDKs, each
 * further one ~0.27 s: these files took ~15 s of jest's 26.5 s wall on 2 cores. They are their own suite,
 * `npm run test:program` (jest.program.config.js), so that `npm test` stays under 30 s; .ci/run and the
 * GitHub workflows run both. Paths relative to the repository.
 */
const PROGRAM_TESTS = [
  "tests/program.test.ts",
  "tests/render.test.ts",
  "tests/golden.test.ts",
  "tests/adoption.test.ts",
  "tests/verify/expectedModel.test.ts",
  "tests/adopt/gate.test.ts",
  "tests/components/objectStorage/reuse.test.ts",
];

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  // One worker per core (jest's default leaves one idle: 25 s instead of 15 s for the unit tests on 2 cores).
  maxWorkers: "100%",
  transform: { "^.+\\.ts$": swc },
  testMatch: ["<rootDir>/tests/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/tests/integration/", ...PROGRAM_TESTS.map((file) => `<rootDir>/${escapeRegExp(file)}$`)],
  moduleFileExtensions: ["ts", "js", "json"],
  // A test that asserts nothing fails (a loop that ran zero times is not a pass).
  setupFilesAfterEnv: ["<rootDir>/tests/lib/jest/everyTestAsserts.ts"],
  // jest's default 5 s per test (hooks included) is too close: setup hooks took 3.4 s at load 4 on 2 cores.
  testTimeout: 30_000,
  globalSetup: "<rootDir>/tests/lib/jest/tmpdirSetup.ts",
  globalTeardown: "<rootDir>/tests/lib/jest/tmpdirTeardown.ts",
};
// For jest.program.config.js and tests/ci/jestCounts.test.ts; not enumerable, so not a jest option (jest
// warns about unknown ones) and not copied by `...base` in the other configs.
Object.defineProperty(module.exports, "programTests", { value: PROGRAM_TESTS });
