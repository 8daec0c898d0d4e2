import { knownHostsAddress, knownHostsProblems, parseKnownHosts, sshHostAndPort } from "../../../components/flux/knownHosts";

const ED25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const ECDSA = "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMe+TSPZgymXY1yA/+t8iq9Td32QxyeHDIaOoSxVsVB/mang3+kpv20aFF9/n8dN9GlGbg1rlPXgOk8aMdhSH08=";
const url22 = "ssh://git@git.example.com/org/gitops.git";
const url2222 = "ssh://git@git.example.com:2222/org/gitops.git";
// Written by `ssh-keygen -H` from "[git.example.com]:2222 ssh-ed25519 ...": the hashed form Flux also reads.
const HASHED_2222 = "|1|TGfPlQsoY3OlB+MmbvzU4gJN2Y8=|zDPt8vAgQMplu98GTt39H0slB9U=";

it("looks the server up as Go's knownhosts does: host on port 22, [host]:port otherwise", () => {
  expect(sshHostAndPort(url22)).toEqual({ host: "git.example.com", port: 22 });
  expect(sshHostAndPort(url2222)).toEqual({ host: "git.example.com", port: 2222 });
  expect(sshHostAndPort("https://git.example.com/x.git")).toBeUndefined();
  expect(knownHostsAddress("git.example.com", 22)).toBe("git.example.com");
  expect(knownHostsAddress("git.example.com", 2222)).toBe("[git.example.com]:2222");
  expect(knownHostsAddress("[::1]", 2222)).toBe("[::1]:2222");
});

it("accepts ssh-keyscan's lines: plain, bracketed with the port, hashed, wildcards, several keys and comments", () => {
  expect(knownHostsProblems(`git.example.com ssh-ed25519 ${ED25519}`, url22)).toEqual([]);
  expect(knownHostsProblems(`# git.example.com:2222 SSH-2.0-OpenSSH_9.2\n[git.example.com]:2222 ssh-ed25519 ${ED25519}\n`, url2222)).toEqual([]);
  expect(knownHostsProblems(`${HASHED_2222} ssh-ed25519 ${ED25519}`, url2222)).toEqual([]);
  expect(knownHostsProblems(`*.example.com,10.0.0.1 ecdsa-sha2-nistp256 ${ECDSA} a comment`, url22)).toEqual([]);
  expect(knownHostsProblems(`other.example.org ssh-ed25519 ${ED25519}\ngit.example.com ecdsa-sha2-nistp256 ${ECDSA}`, url22)).toEqual([]);
  // https URLs: the lines are only parsed.
  expect(knownHostsProblems(`other ssh-ed25519 ${ED25519}`, "https://git.example.com/x.git")).toEqual([]);
});

it("a server on another port written without [host]:port: says why Flux will not find it", () => {
  const [problem] = knownHostsProblems(`git.example.com ssh-ed25519 ${ED25519}`, url2222);
  expect(problem).toContain("line 1 is for git.example.com on port 22, but fluxGitUrl uses port 2222");
  expect(problem).toContain("[git.example.com]:2222");
  expect(problem).toContain("ssh-keyscan -p 2222 git.example.com");
  expect(problem).toContain("knownhosts: key is unknown");
  // The hashed line is for port 2222, so it does not serve port 22.
  expect(knownHostsProblems(`${HASHED_2222} ssh-ed25519 ${ED25519}`, url22)[0]).toMatch(/^no line is for git\.example\.com, the host of fluxGitUrl/);
});

it("no line for the host, a negated pattern, or only a revoked key: no line Flux can use", () => {
  expect(knownHostsProblems(`github.com ssh-ed25519 ${ED25519}`, url22)[0]).toContain("no line is for git.example.com");
  expect(knownHostsProblems(`*.example.com,!git.example.com ssh-ed25519 ${ED25519}`, url22)[0]).toContain("no line is for git.example.com");
  expect(knownHostsProblems(`@revoked git.example.com ssh-ed25519 ${ED25519}`, url22)[0]).toContain("no line is for git.example.com");
  expect(knownHostsProblems("# only a comment\n\n", url22)).toEqual(["has no known_hosts line (blank lines and # comments only)"]);
});

it("names every unparseable line in one pass: fields, key types, the key itself", () => {
  const text = [
    "git.example.com ssh-ed25519",
    `git.example.com rsa-sha2-512 ${ED25519}`,
    `git.example.com ssh-dss ${ED25519}`,
    `git.example.com ssh-foo ${ED25519}`,
    "git.example.com ssh-ed25519 AAAA",
    "git.example.com ssh-ed25519 not*base64",
    `git.example.com ecdsa-sha2-nistp256 ${ED25519}`,
    `@marker git.example.com ssh-ed25519 ${ED25519}`,
  ].join("\n");
  const problems = knownHostsProblems(text, url22);
  expect(problems).toHaveLength(8);
  expect(problems[0]).toMatch(/^line 1: expected "<hosts> <key type> <base64 key>".*got 2 fields/);
  expect(problems[1]).toMatch(/^line 2: key type rsa-sha2-512: an RSA key's type is ssh-rsa/);
  expect(problems[2]).toMatch(/^line 3: key type ssh-dss: DSA host keys are disabled/);
  expect(problems[3]).toMatch(/^line 4: key type ssh-foo: not a host key type .*supported: ssh-ed25519/);
  expect(problems[4]).toBe("line 5: the key is not a base64 SSH public key (copy the whole line from ssh-keyscan)");
  expect(problems[5]).toBe("line 6: the key is not a base64 SSH public key (copy the whole line from ssh-keyscan)");
  expect(problems[6]).toBe("line 7: the line says ecdsa-sha2-nistp256 but the key is ssh-ed25519 (the line was pieced together from two keys)");
  expect(problems[7]).toMatch(/^line 8: unknown marker @marker/);
  expect(parseKnownHosts(`@cert-authority *.example.com ssh-ed25519 ${ED25519}`).lines).toEqual([
    { line: 1, marker: "@cert-authority", hosts: ["*.example.com"], keyType: "ssh-ed25519" },
  ]);
});
