// `npm run test:program`: the whole-program tests under the mock engine (the list and why they are apart
// from `npm test` are in jest.config.js). Same transform, setup, timeouts and temp dirs as the unit tests.
const base = require("./jest.config");

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: base.programTests.map((file) => `<rootDir>/${file}`),
  testPathIgnorePatterns: ["/node_modules/"],
};
