/** A bad command line: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parses a number flag: finite, and within the given bounds. */
export function numberFlag(
  name: string,
  raw: string | undefined,
  rules: { min?: number; integer?: boolean; above?: number } = {},
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const problems: string[] = [];
  if (raw.trim() === "" || !Number.isFinite(value)) problems.push("a number");
  else {
    if (rules.integer && !Number.isInteger(value)) problems.push("a whole number");
    if (rules.min !== undefined && value < rules.min) problems.push(`at least ${rules.min}`);
    if (rules.above !== undefined && value <= rules.above) problems.push(`greater than ${rules.above}`);
  }
  if (problems.length > 0) throw new UsageError(`--${name} must be ${problems.join(" and ")}, got "${raw}".`);
  return value;
}
