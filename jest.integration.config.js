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
  // Two files at a time: most of their time is spent waiting on servers and controllers (load ~2 with two).
  // .ci/run took 994 s with one worker and 565 s with two (1,017 tests, warm caches). Every server binds
  // fresh loopback ports and retries when another takes one first (tests/integration/lib/processes.ts).
  maxWorkers: 2,
};
