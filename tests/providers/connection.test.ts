import { DEFAULT_RGW_TIMEOUT_MS, displayEndpoint, parseEndpoint, timeoutOf } from "../../providers/connection";
import { thrownRgwError as thrown } from "../lib/fakes/rgw";

describe("parseEndpoint", () => {
  it.each([
    ["not a url", /not a URL/],
    ["ftp://host", /http:\/\/ or https:\/\//],
    ["http://host?x=1", /must not contain a query/],
    ["http://host#x", /must not contain a query or a fragment/],
    ["http://user:pw@host", /must not contain credentials/],
    ["http://host:7480/bucket", /must not contain a path \("\/bucket"\)/],
    ["http://host:7480/rgw/", /must not contain a path/],
  ])("rejects %p with a hint", (endpoint, reason) => {
    const error = thrown(() => parseEndpoint(endpoint));
    expect(error.kind).toBe("invalidEndpoint");
    expect(error.message).toMatch(reason);
    expect(error.message).toContain("check rgw.endpoint");
    expect(error.message).not.toContain("pw@");
  });

  it("accepts http and https URLs with or without a trailing slash (trimmed)", () => {
    expect(parseEndpoint(" http://rgw:7480 ").host).toBe("rgw:7480");
    expect(parseEndpoint("https://rgw.example.org/").origin).toBe("https://rgw.example.org");
  });
});

describe("displayEndpoint", () => {
  it("never shows userinfo or a query", () => {
    expect(displayEndpoint("http://user:pw@rgw:7480/?x=1")).toBe("http://rgw:7480");
    expect(displayEndpoint("not a url //user:pw@x")).toBe("not a url //x");
  });
});

describe("timeoutOf", () => {
  it("defaults to 30 s and takes a positive number", () => {
    expect(DEFAULT_RGW_TIMEOUT_MS).toBe(30_000);
    expect(timeoutOf({})).toBe(30_000);
    expect(timeoutOf({ timeoutMs: 0 })).toBe(30_000);
    expect(timeoutOf({ timeoutMs: 250 })).toBe(250);
  });
});
