// Integration tests: real servers (Ceph RGW, registry, PostgreSQL, Nessie, Spark, the Pulumi engine) that
// each test file starts and stops itself, by PID. `.ci/run` installs what they need first.
const base = require("./jest.config");

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ["<rootDir>/tests/integration/**/*.test.ts"],
  testPathIgnorePatterns: ["/node_modules/"],
  // Tests and hooks with several engine runs against a real RGW took up to ~60 s idle; load 4 on 2 cores
  // slows them two to three times. Slower tests set their own.
  testTimeout: 300_000,
  maxWorkers: 1,
};
