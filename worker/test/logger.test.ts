import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger";

function sink(isTTY: boolean): { stream: Writable & { isTTY: boolean }; lines: string[] } {
  const lines: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    }),
    { isTTY },
  );
  return { stream, lines };
}

describe("createLogger", () => {
  it("writes one JSON object a line when the output is not a TTY", () => {
    const { stream, lines } = sink(false);
    const logger = createLogger({ stream, base: { workerId: "w1" } });
    logger.info("task finished", { taskId: "abc", attempt: 1, durationMs: 2.5 });
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: "info",
      msg: "task finished",
      workerId: "w1",
      taskId: "abc",
      attempt: 1,
      durationMs: 2.5,
    });
    expect(new Date((JSON.parse(lines[0]!) as { time: string }).time).getTime()).not.toBeNaN();
  });

  it("writes readable lines to a TTY", () => {
    const { stream, lines } = sink(true);
    createLogger({ stream }).warn("task failed", { taskName: "emails.send", error: "Error: boom now" });
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\S+Z WARN {2}task failed taskName=emails\.send error="Error: boom now"$/,
    );
  });

  it("drops lines below its level", () => {
    const { stream, lines } = sink(false);
    const logger = createLogger({ stream, level: "warn" });
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(["w", "e"]);
    const silent = sink(false);
    createLogger({ stream: silent.stream, level: "silent" }).error("x");
    expect(silent.lines).toEqual([]);
  });
});
