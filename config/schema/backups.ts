import { z } from "zod";
import { calendarPeriod, SUPPORTED_CALENDAR_FORMS } from "../../domain/calendar";
import { MINIMUM_BACKUP_PERIOD_SECONDS } from "../../domain/backups";
import { countOf, strictObject } from "./primitives";

const ARMORED_PUBLIC_KEY =
  /^-----BEGIN PGP PUBLIC KEY BLOCK-----\r?\n[\s\S]+\r?\n-----END PGP PUBLIC KEY BLOCK-----\s*$/;

/** What keeps a text from being one ASCII-armored OpenPGP public key; undefined when it is one. */
export function armoredPublicKeyProblem(text: string): string | undefined {
  if (/PRIVATE KEY/.test(text)) {
    return "holds a private key: give the public key alone (gpg --armor --export), and keep the private key offline";
  }
  if (!ARMORED_PUBLIC_KEY.test(text.trim() + "\n")) {
    return "must be one ASCII-armored OpenPGP public key (gpg --armor --export <key>)";
  }
  return undefined;
}

/** `backups`: scheduled Raft snapshots of every datacenter in its own object storage container. */
export const backupsSchema = strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe("Take scheduled snapshots on every datacenter's servers (the leader's run takes it)."),
  schedule: z
    .string()
    .max(200)
    .default("hourly")
    .superRefine((value, ctx) => {
      // What reaches the timer unit must be one line of plain text; the evaluator decides the rest.
      if (!/^[A-Za-z0-9*:.,/ -]+$/.test(value)) {
        ctx.addIssue({
          code: "custom",
          message: `must be a systemd calendar expression (${SUPPORTED_CALENDAR_FORMS})`,
        });
        return;
      }
      const period = calendarPeriod(value);
      if (!period.ok) {
        ctx.addIssue({ code: "custom", message: `${period.problem} (${SUPPORTED_CALENDAR_FORMS})` });
      } else if (period.seconds < MINIMUM_BACKUP_PERIOD_SECONDS) {
        ctx.addIssue({
          code: "custom",
          message: `runs every ${period.seconds} s; snapshots at least ${MINIMUM_BACKUP_PERIOD_SECONDS / 60} minutes apart keep the leader's load low (use *:0/5 or slower)`,
        });
      }
    })
    .describe(
      "When snapshots are taken: a systemd calendar expression (OnCalendar=), e.g. hourly, *:0/15, 00/6:00, Mon..Fri 02:30.",
    ),
  encryptionKey: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      const problem = value === undefined ? undefined : armoredPublicKeyProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .describe(
      "An ASCII-armored OpenPGP public key: every snapshot is encrypted to it on the server, before it is uploaded.",
    ),
  encryptionKeyFile: z
    .string()
    .min(1)
    .optional()
    .describe("The same key in a file, relative to the configuration file."),
  // Swift lists at most 10,000 objects per request: the container's listing must hold every snapshot kept.
  retain: countOf("snapshots", 5_000)
    .min(1, { error: "must keep at least 1 snapshot" })
    .default(48)
    .describe(
      "How many snapshots each datacenter's container keeps (at most 5,000); older ones are deleted after a new upload.",
    ),
})
  .prefault({})
  .describe("Scheduled Raft snapshots in each datacenter's OpenStack object storage container.");
