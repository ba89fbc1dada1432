import { activeSpanIds } from "@errand/core/internal";

/** Log levels, least to most severe. `silent` logs nothing. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Extra fields of a log line, e.g. `{ taskId, taskName, attempt }`. */
export type LogFields = Record<string, unknown>;

/** What the worker logs through. Bring your own (pino, winston) by matching this shape. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface CreateLoggerOptions {
  /** Lines below this level are dropped. Default "info". */
  level?: LogLevel | undefined;
  /** One JSON object a line. Default: when `stream` is not a TTY. */
  json?: boolean | undefined;
  /** Default `process.stdout`. */
  stream?: (NodeJS.WritableStream & { isTTY?: boolean }) | undefined;
  /** Fields added to every line (e.g. `{ workerId }`). */
  base?: LogFields | undefined;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Checks a `--log-level` value. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * A small line logger: JSON lines when output goes to a file or a log collector (not a
 * TTY), readable `time LEVEL message key=value` lines in a terminal.
 *
 * @example
 * const logger = createLogger({ level: "debug" });
 * logger.info("task finished", { taskId, durationMs: 12 });
 * // Inside a traced task, lines also carry traceId and spanId.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stdout;
  const json = options.json ?? !stream.isTTY;
  const min = RANK[options.level ?? "info"];
  const base = options.base ?? {};
  // A closed pipe (`errand worker | head`) must not crash the worker.
  if (!(stream as { __errandLogGuard?: boolean }).__errandLogGuard && "on" in stream) {
    (stream as { __errandLogGuard?: boolean }).__errandLogGuard = true;
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") process.stderr.write(`errand: log output failed: ${error.message}\n`);
    });
  }
  const write = (level: Exclude<LogLevel, "silent">, message: string, fields?: LogFields) => {
    if (RANK[level] < min) return;
    const time = new Date().toISOString();
    // Inside a span (a traced task's run), the line carries its traceId and spanId.
    const all = { ...base, ...activeSpanIds(), ...fields };
    if (json) {
      stream.write(`${JSON.stringify({ time, level, msg: message, ...all }, jsonReplacer)}\n`);
      return;
    }
    const rest = Object.entries(all)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(" ");
    stream.write(`${time} ${level.toUpperCase().padEnd(5)} ${message}${rest ? ` ${rest}` : ""}\n`);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger({ level: "silent" });

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === "string") return /^[\w.:/@-]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}
