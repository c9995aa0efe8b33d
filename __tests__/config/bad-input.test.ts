import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { loadFederationConfig, validateFederationConfig } from "../../config/load";
import type { FederationConfigInput } from "../../config/schema";
import { ConfigError } from "../../domain/errors";
import { configProblems, exampleConfig, exampleInput, REPO_ROOT } from "../support/fixtures";

type Input = FederationConfigInput & Record<string, unknown>;

const problemsOf = configProblems;

function loadProblems(write: (file: string) => void): string[] {
  const file = join(mkdtempSync(join(tmpdir(), "bad-file-")), "federation.yaml");
  write(file);
  try {
    loadFederationConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe("a file that is not a configuration", () => {
  it.each<[string, (file: string) => void, RegExp]>([
    ["a directory", (file) => mkdirSync(file), /^\(file\): cannot read .*: it is a directory/],
    [
      "an empty file",
      (file) => writeFileSync(file, "# nothing yet\n"),
      /^\(file\): .* is empty \(start from the bundled/,
    ],
    ["a binary file", (file) => writeFileSync(file, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1])), /is not a text file/],
    [
      "text that is not UTF-8",
      (file) => writeFileSync(file, Buffer.from([0x63, 0x3a, 0x20, 0xff, 0xfe])),
      /is not UTF-8 text/,
    ],
    [
      "aliases that expand without bound",
      (file) =>
        writeFileSync(
          file,
          [
            "a: &a [x, x, x, x, x, x, x, x, x, x]",
            ...Array.from(
              { length: 12 },
              (_, i) =>
                `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
                  .fill(`*${String.fromCharCode(97 + i)}`)
                  .join(", ")}]`,
            ),
          ].join("\n"),
        ),
      /^\(yaml\): .*alias.*\(use at most 100 alias expansions\)/i,
    ],
    [
      "duplicate keys",
      (file) => writeFileSync(file, "consul:\n  version: 1.22.4\nconsul:\n  version: 1.22.5\n"),
      /Map keys must be unique/,
    ],
  ])("%s is one problem, not a stack trace", (_what, write, expected) => {
    const problems = loadProblems(write);
    expect(problems).toEqual([expect.stringMatching(expected)]);
  });
});

describe("names derived from a datacenter's name", () => {
  it("never collide with the primary's stacks", () => {
    expect(problemsOf((c) => (c.datacenters[1].name = "prod1-acl"))).toEqual([
      expect.stringMatching(/^datacenters\[1\]\.name: "prod1-acl" is the name of the primary's ACL stack/),
    ]);
    expect(problemsOf((c) => (c.datacenters[2].name = "prod1-gateways"))).toEqual([
      expect.stringMatching(/^datacenters\[2\]\.name: "prod1-gateways" is the name of the primary's gateways stack/),
    ]);
  });

  it("leave node names within a DNS label", () => {
    const name = `dc${"x".repeat(54)}`;
    expect(problemsOf((c) => (c.datacenters[1].name = name))).toEqual([
      expect.stringMatching(
        /^datacenters\[1\]\.name: is too long: its node .*-gateway-2 would have 66 characters.*at most 53/,
      ),
    ]);
  });
});

describe("values checked for what Consul, Envoy and OpenStack accept", () => {
  it.each<[string, (c: Input) => void, RegExp]>([
    [
      "a metrics port Consul already uses",
      (c) => (c.consul.proxyDefaults = { envoyPrometheusBindAddr: "0.0.0.0:8500" }),
      /^consul\.proxyDefaults\.envoyPrometheusBindAddr: port 8500 is taken by Consul, Envoy or SSH/,
    ],
    [
      "a metrics port out of range",
      (c) => (c.consul.proxyDefaults = { envoyPrometheusBindAddr: "0.0.0.0:70000" }),
      /^consul\.proxyDefaults\.envoyPrometheusBindAddr: port 70000 is not 1 to 65535/,
    ],
    [
      "an alternative domain equal to the domain",
      (c) => (c.consul.altDomain = "consul"),
      /^consul\.altDomain: is the same as consul\.domain/,
    ],
    [
      "a Consul release this project does not support, blamed on consul.version",
      (c) => (c.consul.version = "1.12.0"),
      /^consul\.version: Consul 1\.12 is not a supported release/,
    ],
    [
      "a node identity that is not a node name",
      (c) =>
        ((c.acl as { tokens: unknown[] }).tokens = [
          { description: "x", nodeIdentities: [{ nodeName: "a.b", datacenter: "prod1" }] },
        ]),
      /^acl\.tokens\[0\]\.nodeIdentities\[0\]\.nodeName: must be a Consul node name/,
    ],
    [
      "a template sequence in a URL",
      (c) => (c.packages = { hashicorp: { url: 'https://apt.example.org/${file("x")}' } }),
      /^packages\.hashicorp\.url: cannot hold \$\{ or %\{/,
    ],
    [
      "a template sequence in the state backend",
      (c) => (c.state = { backend: "s3", s3: { bucket: "fed-state", region: "%{ if true }x%{ endif }" } }),
      /^state\.s3\.region: cannot hold \$\{ or %\{/,
    ],
    [
      "the deprecated udpAnswerLimit",
      (c) => Object.assign(c.consul.dns as object, { udpAnswerLimit: 3 }),
      /^consul\.dns: "udpAnswerLimit" is no longer a setting: Consul deprecated/,
    ],
  ])("%s", (_what, mutate, expected) => {
    expect(problemsOf(mutate)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
    expect(problemsOf(mutate).filter((p) => expected.test(p))).toHaveLength(1);
  });

  it("envoy.version names only Envoy's problem when the Consul release is unknown", () => {
    const problems = problemsOf((c) => (c.consul.version = "1.12.0"));
    expect(problems.filter((p) => p.startsWith("envoy.version"))).toEqual([]);
  });
});

describe("no secret in an error", () => {
  const privateKey = [
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    "-----END OPENSSH PRIVATE KEY-----",
  ].join("\n");

  it.each<[string, unknown]>([
    ["pasted as ssh.publicKey", privateKey],
    ["pasted as a list", [privateKey]],
  ])("a private key %s is refused without being printed", (_how, value) => {
    const problems = problemsOf((c) => ((c.ssh as Record<string, unknown>).publicKey = value));
    expect(problems).toEqual([expect.stringMatching(/^ssh\.publicKey: /)]);
    expect(problems.join("\n")).not.toMatch(/PRIVATE KEY|b3BlbnNzaC1rZXktdjEA/);
  });
});

describe("the loader under random damage", () => {
  /** Every path of a YAML value, as the loader formats paths. */
  function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    if (Array.isArray(value)) return [prefix, ...value.flatMap((item, i) => paths(item, [...prefix, i]))];
    if (typeof value === "object" && value !== null) {
      return [prefix, ...Object.entries(value).flatMap(([key, child]) => paths(child, [...prefix, key]))];
    }
    return [prefix];
  }
  const mutation = fc.record({
    at: fc.nat(),
    how: fc.constantFrom(
      "drop",
      "rename",
      "number",
      "string",
      "list",
      "object",
      "negative",
      "huge",
      "long",
      "duplicate",
    ),
    text: fc.string({ maxLength: 20 }),
  });

  it("never throws anything but a ConfigError, and names a field whose parent the input has", () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const input = exampleInput() as unknown as Record<string, unknown>;
        for (const m of mutations) {
          const all = paths(input).filter((p) => p.length > 0);
          const path = all[m.at % all.length];
          const parent = path
            .slice(0, -1)
            .reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], input) as
            Record<string | number, unknown> | unknown[];
          const key = path[path.length - 1];
          const replace = (value: unknown) => ((parent as Record<string | number, unknown>)[key] = value);
          if (m.how === "drop") {
            if (Array.isArray(parent)) parent.splice(key as number, 1);
            else Reflect.deleteProperty(parent, key);
          } else if (m.how === "rename" && !Array.isArray(parent)) {
            parent[`${String(key)}${m.text}x`] = parent[key as string];
            Reflect.deleteProperty(parent, key);
          } else if (m.how === "number") replace(m.at);
          else if (m.how === "negative") replace(-m.at - 1);
          else if (m.how === "huge") replace(Number.MAX_SAFE_INTEGER);
          else if (m.how === "string") replace(m.text);
          else if (m.how === "long") replace(m.text.repeat(2000));
          else if (m.how === "list") replace([m.text]);
          else if (m.how === "object") replace({ [m.text || "k"]: m.at });
          else if (m.how === "duplicate" && Array.isArray(parent)) parent.push(structuredClone(parent[key as number]));
        }
        let problems: readonly string[] = [];
        try {
          validateFederationConfig(input);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          problems = error.problems;
        }
        const known = new Set(paths(input).map((p) => JSON.stringify(p)));
        for (const problem of problems) {
          const field = problem.slice(0, problem.indexOf(": "));
          if (field === "(top level)") continue;
          const keys = field
            .split(/\.|\[(\d+|"[^"]*")\]/)
            .filter((k) => k !== undefined && k !== "")
            .map((k) => (/^\d+$/.test(k) ? Number(k) : k.startsWith('"') ? JSON.parse(k) : k));
          const parentKnown =
            keys.length <= 1 || known.has(JSON.stringify(keys.slice(0, -1))) || known.has(JSON.stringify(keys));
          expect({ problem, parentKnown }).toEqual({ problem, parentKnown: true });
        }
      }),
      { numRuns: 150 },
    );
  });
});

const PUBLIC_KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ0example\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n";

describe("backups", () => {
  it("take an encryption key inline or from a file beside the configuration", () => {
    const directory = mkdtempSync(join(tmpdir(), "backup-key-"));
    writeFileSync(join(directory, "backups.pub.asc"), PUBLIC_KEY);
    const fromFile = validateFederationConfig(
      { ...exampleInput(), backups: { encryptionKeyFile: join(directory, "backups.pub.asc") } },
      "federation.yaml",
      REPO_ROOT,
    );
    expect(fromFile.backups.encryptionKey).toBe(PUBLIC_KEY);
    expect(problemsOf((input) => (input.backups = { encryptionKey: PUBLIC_KEY }))).toEqual([]);
  });

  it("refuse a private key, text that is no armored public key, an unreadable file, and both forms at once", () => {
    const privateKey = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nsecret\n-----END PGP PRIVATE KEY BLOCK-----\n";
    expect(problemsOf((input) => (input.backups = { encryptionKey: privateKey }))).toEqual([
      expect.stringMatching(/^backups\.encryptionKey: holds a private key: give the public key alone/),
    ]);
    expect(problemsOf((input) => (input.backups = { encryptionKey: "ssh-ed25519 AAAA" }))).toEqual([
      expect.stringMatching(
        /^backups\.encryptionKey: must be one ASCII-armored OpenPGP public key \(gpg --armor --export/,
      ),
    ]);
    expect(problemsOf((input) => (input.backups = { encryptionKeyFile: "no-such.asc" }))).toEqual([
      expect.stringMatching(/^backups\.encryptionKeyFile: cannot read no-such\.asc \(ENOENT; the path is relative/),
    ]);
    expect(
      problemsOf((input) => (input.backups = { encryptionKey: PUBLIC_KEY, encryptionKeyFile: "backups.pub.asc" })),
    ).toEqual([expect.stringMatching(/^backups\.encryptionKeyFile: give the key either as encryptionKey or as/)]);
  });

  it("default to hourly snapshots, 48 kept, on", () => {
    expect(exampleConfig().backups).toEqual({ enabled: true, schedule: "hourly", retain: 48 });
  });

  it.each<[string, unknown, RegExp]>([
    [
      "a date without a period",
      { schedule: "*-*-01 00:00" },
      /^backups\.schedule: the date "\*-\*-01" has no fixed period/,
    ],
    ["a schedule systemd refuses", { schedule: "*/15:00" }, /^backups\.schedule: .*0\/15, not \*\/15/],
    [
      "a schedule too frequent",
      { schedule: "minutely" },
      /^backups\.schedule: runs every 60 s; .*at least 5 minutes apart/,
    ],
    [
      "text a unit cannot carry",
      { schedule: "hourly\nExecStart=/bin/sh" },
      /^backups\.schedule: must be a systemd calendar expression/,
    ],
    ["a template sequence", { schedule: '${file("x")}' }, /^backups\.schedule: must be a systemd calendar expression/],
    ["no snapshot kept", { retain: 0 }, /^backups\.retain: must keep at least 1 snapshot/],
    ["more than a listing holds", { retain: 20_000 }, /^backups\.retain: must be at most 5000/],
    [
      "an unknown key",
      { retain: 5, keep: 5 },
      /^backups: unknown key "keep" \(allowed keys: enabled, schedule, encryptionKey, encryptionKeyFile, retain\)/,
    ],
  ])("refuse %s with the field and the fix", (_what, backups, problem) => {
    const problems = problemsOf((input) => (input.backups = backups as Input["backups"]));
    expect(problems).toEqual([expect.stringMatching(problem)]);
  });
});

describe("tls", () => {
  it("defaults to certificates of a year renewed in their last 30 days, and a CA of ten years", () => {
    expect(exampleConfig().tls).toEqual({ certificateValidityDays: 365, renewBeforeDays: 30, caValidityDays: 3650 });
  });

  it.each<[string, unknown, RegExp]>([
    [
      "a renewal window as long as the certificate",
      { certificateValidityDays: 30, renewBeforeDays: 30 },
      /^tls\.renewBeforeDays: must be shorter than certificateValidityDays \(30\), or every deploy issues every certificate again/,
    ],
    [
      "a certificate that outlives its CA",
      { certificateValidityDays: 400, caValidityDays: 365 },
      /^tls\.certificateValidityDays: must not exceed caValidityDays \(365\)/,
    ],
    ["a fraction of a day", { renewBeforeDays: 1.5 }, /^tls\.renewBeforeDays: must be a whole number of days/],
  ])("refuses %s, with the field and the fix", (_what, tls, problem) => {
    expect(problemsOf((input) => (input.tls = tls as Input["tls"]))).toEqual([expect.stringMatching(problem)]);
  });

  it("starts every token and the CA at their first generation", () => {
    expect(exampleConfig().rotation).toEqual({ gossipKey: 0, ca: 0, tokens: 0, terraformToken: 0 });
    expect(exampleConfig().acl.tokens.map((token) => [token.rotation, token.retireBelow])).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it.each<[string, (input: Input) => void, RegExp]>([
    ["a negative token rotation", (input) => (input.rotation = { tokens: -1 }), /^rotation\.tokens: must be 0 or more/],
    [
      "a fractional token rotation",
      (input) => (input.rotation = { tokens: 1.5 }),
      /^rotation\.tokens: must be a whole number of rotations/,
    ],
    [
      "a rotation of one of your tokens given as text",
      (input) => ((input.acl as { tokens: { rotation?: unknown }[] }).tokens[1].rotation = "1"),
      /^acl\.tokens\[1\]\.rotation: must be a whole number of rotations, got "1"/,
    ],
    [
      "two of your tokens with one description",
      (input) => ((input.acl as { tokens: { description: string }[] }).tokens[1].description = "Nomad servers"),
      /^acl\.tokens\[1\]\.description: "Nomad servers" is also the description of acl\.tokens\[0\] \(give each token its own description/,
    ],
    [
      "retiring the current generation of one of your tokens",
      (input) => Object.assign((input.acl as { tokens: object[] }).tokens[0], { rotation: 1, retireBelow: 2 }),
      /^acl\.tokens\[0\]\.retireBelow: would delete the current generation \(1\) too \(at most rotation, 1; raise rotation first\)/,
    ],
  ])("refuses %s, with the field", (_what, change, problem) => {
    expect(problemsOf(change)).toEqual([expect.stringMatching(problem)]);
  });

  it("refuses a CA of a week, and says which certificates it could not carry", () => {
    expect(problemsOf((input) => (input.tls = { caValidityDays: 7 }))).toEqual([
      expect.stringMatching(/^tls\.caValidityDays: must be at least 30/),
      expect.stringMatching(/^tls\.certificateValidityDays: must not exceed caValidityDays \(7\)/),
    ]);
  });
});
