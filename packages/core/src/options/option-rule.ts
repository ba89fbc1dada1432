/**
 * What one option may be: the row of an option table. Every option surface (`task()`,
 * `using()`, `configure()`, `new Worker()`, retention, schedules, queues, backends) is a
 * table of these, read by `checkOptions`, so each kind of value is checked and described in
 * one place with one wording.
 *
 * @example
 * const rule: OptionRule = { kind: "integer", min: 1 }; // "a positive integer"
 */
export type OptionRule = OptionKind & {
  /** Absent (`undefined` or `null`) is an error. Default: optional. */
  required?: boolean;
  /** Appended to the description: a hint or an example ("e.g. `order:${orderId}`"). */
  hint?: string;
};

/** The kinds of value an option table knows. */
export type OptionKind =
  /** A whole number within `min`…`max` (inclusive); `unit` names what it counts ("seconds"). */
  | { kind: "integer"; min?: number; max?: number; unit?: string }
  /** A finite number, at least `min` or greater than `above`. */
  | { kind: "number"; min?: number; above?: number; unit?: string }
  /** A string of `minLength`…`maxLength` characters matching `pattern` (described by `expected`). */
  | { kind: "string"; minLength?: number; maxLength?: number; pattern?: RegExp; expected?: string }
  | { kind: "boolean" }
  /** One of these values. */
  | { kind: "enum"; values: readonly (string | number | boolean)[] }
  /** A function; `signature` is how it is described ("(attempts) => seconds"). */
  | { kind: "function"; signature: string }
  /** A `Date` that is not Invalid Date. */
  | { kind: "date" }
  /**
   * An array whose entries follow `of`; with `orAll`, the string "*" too. With `unique`, no
   * two entries (objects) have the same value at that key, e.g. two schedules one name.
   */
  | { kind: "list"; of?: OptionRule; nonEmpty?: boolean; orAll?: boolean; unique?: string; expected?: string }
  /** A plain object whose keys are the nested table's (unknown keys refused). */
  | { kind: "object"; table: OptionTable }
  /** A plain object of names (`key`) to values (`value`), e.g. `queues: { email: {…} }`. */
  | { kind: "record"; key: OptionRule & { kind: "string" }; value: OptionRule; expected?: string }
  /** Anything that passes `test`; `expected` says what that is. For the shapes above do not cover. */
  | { kind: "check"; expected: string; test: (value: unknown) => boolean }
  /** Not checked here (a Kysely instance, a transaction): its user checks it. */
  | { kind: "any" };

/** Every option of one surface, by key. A key not in the table is refused. */
export type OptionTable = Readonly<Record<string, OptionRule>>;
