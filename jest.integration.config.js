// Integration tests: real servers (Ceph RGW, registry, PostgreSQL, Nessie, Spark, the Pulumi engine) that
// each test file starts and stops itself, by PID. `.ci/run` installs what they need first.
const base = require("./jest.config");

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ["<rootDir>/tests/integration/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/"],
  testTimeout: 120000,
  maxWorkers: 1,
};
