/**
 * Common repeat intervals, in seconds (django-background-tasks' `Task.HOURLY` …).
 *
 * @example
 * await report.using({ repeat: Repeat.DAILY }).enqueue();
 */
export const Repeat = {
  HOURLY: 3_600,
  DAILY: 86_400,
  WEEKLY: 604_800,
  EVERY_2_WEEKS: 1_209_600,
  EVERY_4_WEEKS: 2_419_200,
} as const;

/** Relative delay for `using({ delay })`, summed. */
export interface Delay {
  milliseconds?: number;
  seconds?: number;
  minutes?: number;
  hours?: number;
  days?: number;
}

/** `delay` in milliseconds. */
export function delayToMilliseconds(delay: Delay | number): number {
  if (typeof delay === "number") return delay * 1000;
  return (
    (delay.milliseconds ?? 0) +
    (delay.seconds ?? 0) * 1_000 +
    (delay.minutes ?? 0) * 60_000 +
    (delay.hours ?? 0) * 3_600_000 +
    (delay.days ?? 0) * 86_400_000
  );
}
