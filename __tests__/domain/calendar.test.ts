import { spawnSync } from "node:child_process";
import { calendarPeriod } from "../../domain/calendar";
import { itWithTool } from "../support/validators";

const HOUR = 3600;
const DAY = 24 * HOUR;

describe("the period of a backup schedule", () => {
  it.each<[string, number]>([
    ["hourly", HOUR],
    ["daily", DAY],
    ["weekly", 7 * DAY],
    ["monthly", 31 * DAY],
    ["*:0/15", 900],
    ["*:00/20:00", 1200],
    ["00/6:00", 6 * HOUR],
    // 0, 7, 14, 21 o'clock: the night's wait from 21:00 to 0:00 is shorter than the others.
    ["0/7:00", 7 * HOUR],
    ["1,13:00", 12 * HOUR],
    ["8..18:00", 14 * HOUR],
    ["8..18/2:30", 14 * HOUR],
    ["*-*-* 02:30:00", DAY],
    ["Mon..Fri 02:30", 3 * DAY],
    ["Sat,Sun 03:00:00", 6 * DAY],
    ["monday 1:00", 7 * DAY],
  ])("%s: the longest wait between two runs is %i s", (expression, seconds) => {
    expect(calendarPeriod(expression)).toEqual({ ok: true, seconds });
  });

  it.each<[string, RegExp]>([
    ["*-*-01 00:00", /the date "\*-\*-01" has no fixed period/],
    ["*/15:00", /starts at a number \(0\/15, not \*\/15\)/],
    ["Fri..Mon 1:00", /must run forward through the week/],
    ["Mon 25:00", /hour "25": must lie within 0\.\.23/],
    ["Funday 1:00", /"Funday" is not a weekday/],
    ["12", /the time "12" must be HH:MM or HH:MM:SS/],
    ["1:2:3:4", /must be HH:MM or HH:MM:SS/],
    ["*:0/0", /a step of at least 1/],
  ])("refuses %s, saying why", (expression, problem) => {
    const period = calendarPeriod(expression);
    expect(period.ok).toBe(false);
    expect(period.ok ? "" : period.problem).toMatch(problem);
  });

  /**
   * systemd's own evaluation as the oracle: the elapses `systemd-analyze calendar` lists over a whole week,
   * from a fixed start, and their longest gap, against the evaluator's answer.
   */
  const oracle = (expression: string): number => {
    const result = spawnSync(
      "systemd-analyze",
      ["calendar", `--base-time=2026-01-05 00:00:00 UTC`, "--iterations=800", expression],
      { encoding: "utf8", env: { ...process.env, TZ: "UTC", LC_ALL: "C.UTF-8", SYSTEMD_COLORS: "0" } },
    );
    if (result.status !== 0) throw new Error(`systemd-analyze refused ${expression}: ${result.stderr}`);
    const times = [...result.stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\S+ \S+) UTC/g)].map((m) =>
      Date.parse(`${m[1].replace(" ", "T")}Z`),
    );
    const windowEnd = times[0] + 3 * 7 * DAY * 1000;
    const inWindow = times.filter((time) => time <= windowEnd);
    return Math.max(...inWindow.slice(1).map((time, index) => (time - inWindow[index]) / 1000));
  };

  itWithTool("systemd-analyze", "agrees with systemd-analyze calendar on every accepted form", () => {
    for (const expression of [
      "hourly",
      "daily",
      "weekly",
      "*:0/15",
      "00/6:00",
      "0/7:00",
      "1,13:00",
      "8..18/2:30",
      "*-*-* 02:30:00",
      "Mon..Fri 02:30",
      "Mon,Wed..Fri 1:00",
      "Sat,Sun 03:00:00",
    ]) {
      const period = calendarPeriod(expression);
      expect({ expression, seconds: period.ok ? period.seconds : period.problem }).toEqual({
        expression,
        seconds: oracle(expression),
      });
    }
  });
});
