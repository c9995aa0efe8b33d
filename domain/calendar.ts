/**
 * The longest wait between two elapses of a systemd calendar expression (systemd.time(7), "Calendar
 * Events"), for the part of its grammar a backup schedule needs: the shortcuts (`hourly`, `daily`, ...)
 * and `[weekdays] [*-*-*] hour:minute[:second]` with `*`, values, lists (`,`), ranges (`..`) and
 * repetitions (`start/step`) in each time field. Date fields other than `*-*-*` have no fixed period and
 * are refused, as are time zones. The answer is exact for what it accepts; the tests hold it against
 * `systemd-analyze calendar --iterations`.
 */

export type CalendarPeriod =
  { readonly ok: true; readonly seconds: number } | { readonly ok: false; readonly problem: string };

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;
const WEEK = 7 * DAY;

/**
 * systemd's shortcuts with the longest gap between two of their elapses: a month has up to 31 days, from
 * 1 July to 1 October (or 1 October to 1 January) are 92, from 1 July to 1 January 184, a year up to 366.
 */
const SHORTCUT_PERIODS: Readonly<Record<string, number>> = {
  minutely: MINUTE,
  hourly: HOUR,
  daily: DAY,
  weekly: WEEK,
  monthly: 31 * DAY,
  quarterly: 92 * DAY,
  semiannually: 184 * DAY,
  yearly: 366 * DAY,
  annually: 366 * DAY,
};

const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;

/** The forms this evaluator accepts, for messages. */
export const SUPPORTED_CALENDAR_FORMS =
  "hourly, daily, weekly (or another systemd shortcut), or [weekdays] [*-*-*] HH:MM[:SS] with *, lists, a..b and start/step in the time fields, e.g. *:0/15, 00/6:00, Mon..Fri 02:30";

export function calendarPeriod(expression: string): CalendarPeriod {
  const text = expression.trim().replace(/\s+/g, " ");
  const shortcut = SHORTCUT_PERIODS[text.toLowerCase()];
  if (shortcut !== undefined) return { ok: true, seconds: shortcut };
  const parts = text.split(" ");
  let weekdays: number[] | undefined;
  if (parts.length > 0 && /^[A-Za-z]/.test(parts[0])) {
    const parsed = parseWeekdays(parts.shift() as string);
    if (typeof parsed === "string") return { ok: false, problem: parsed };
    weekdays = parsed;
  }
  if (parts.length > 0 && parts[0].includes("-")) {
    const date = parts.shift() as string;
    if (date !== "*-*-*") {
      return { ok: false, problem: `the date "${date}" has no fixed period (use *-*-* or a shortcut such as monthly)` };
    }
  }
  if (parts.length !== 1) {
    return { ok: false, problem: "is not a calendar expression this project can check" };
  }
  const fields = parts[0].split(":");
  if (fields.length < 2 || fields.length > 3) {
    return { ok: false, problem: `the time "${parts[0]}" must be HH:MM or HH:MM:SS` };
  }
  const ranges: [number, string][] = [
    [24, "hour"],
    [60, "minute"],
    [60, "second"],
  ];
  const values: number[][] = [];
  for (let index = 0; index < 3; index += 1) {
    const [size, name] = ranges[index];
    const field = fields[index] ?? "00";
    const parsed = parseField(field, size);
    if (typeof parsed === "string") return { ok: false, problem: `${name} "${field}": ${parsed}` };
    values.push(parsed);
  }
  const [hours, minutes, seconds] = values;
  const daily = hours.flatMap((h) => minutes.flatMap((m) => seconds.map((s) => h * HOUR + m * MINUTE + s)));
  const elapses = weekdays === undefined ? daily : weekdays.flatMap((day) => daily.map((second) => day * DAY + second));
  return { ok: true, seconds: longestGap(elapses, weekdays === undefined ? DAY : WEEK) };
}

/** The longest gap between consecutive points of a cycle of `length` seconds, the wrap-around included. */
function longestGap(points: readonly number[], length: number): number {
  const sorted = [...new Set(points)].sort((a, b) => a - b);
  let longest = sorted[0] + length - (sorted.at(-1) as number);
  for (let index = 1; index < sorted.length; index += 1) {
    longest = Math.max(longest, sorted[index] - sorted[index - 1]);
  }
  return longest;
}

/** `*`, `5`, `1,7`, `8..18`, `0/15`, `8..18/2`, or lists of them, within 0..size-1. */
function parseField(field: string, size: number): number[] | string {
  const result = new Set<number>();
  for (const item of field.split(",")) {
    const match = /^(\*|\d{1,2})(?:\.\.(\d{1,2}))?(?:\/(\d{1,2}))?$/.exec(item);
    if (match === null) return "is not *, a number, a list, a range a..b or a repetition start/step";
    const [, startText, endText, stepText] = match;
    const start = startText === "*" ? 0 : Number(startText);
    const end =
      endText !== undefined ? Number(endText) : startText === "*" || stepText !== undefined ? size - 1 : start;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (startText === "*" && (endText !== undefined || stepText !== undefined)) {
      return "a range or repetition starts at a number (0/15, not */15)";
    }
    if (start >= size || end >= size || start > end) return `must lie within 0..${size - 1}`;
    if (step < 1) return "a repetition needs a step of at least 1";
    for (let value = start; value <= end; value += step) result.add(value);
  }
  return [...result];
}

/** `Mon`, `Mon,Wed`, `Mon..Fri` (a weekday's English name or its first three letters, as systemd takes them). */
function parseWeekdays(text: string): number[] | string {
  const days = new Set<number>();
  const index = (name: string) =>
    WEEKDAYS.findIndex((day) => name.toLowerCase() === day || name.toLowerCase() === day.slice(0, 3));
  for (const item of text.split(",")) {
    const [from, to, ...rest] = item.split("..");
    const start = index(from);
    const end = to === undefined ? start : index(to);
    if (start < 0 || end < 0 || rest.length > 0) {
      return `"${item}" is not a weekday or a range of weekdays such as Mon..Fri`;
    }
    if (end < start) return `"${item}" must run forward through the week (Mon..Sun)`;
    for (let day = start; day <= end; day += 1) days.add(day);
  }
  return [...days];
}
