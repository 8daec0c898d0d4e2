// Every test must make at least one assertion: a test whose loop ran zero times, or whose callback never
// fired, fails instead of passing silently.
beforeEach(() => {
  expect.hasAssertions();
});
