import { describe, expect, it } from "vitest";
import { toTaskStatsJSON } from "../src/index";

describe("toTaskStatsJSON", () => {
  it("fills every one of the last 60 minutes and sums points of the same minute", () => {
    const now = new Date("2026-01-01T12:30:45Z");
    const stats = toTaskStatsJSON(
      {
        byStatus: { PENDING: 1, RUNNING: 0, SUCCESSFUL: 5, FAILED: 2 },
        byQueue: [],
        throughput: [
          { minute: new Date("2026-01-01T12:30:00Z"), successful: 3, failed: 1 },
          { minute: new Date("2026-01-01T12:30:00Z"), successful: 1, failed: 0 },
          { minute: new Date("2026-01-01T11:40:00Z"), successful: 1, failed: 1 },
          // Older than an hour: dropped.
          { minute: new Date("2026-01-01T11:00:00Z"), successful: 9, failed: 9 },
        ],
        oldestDueAt: null,
      },
      now,
    );
    expect(stats.throughput).toHaveLength(60);
    expect(stats.throughput[0]?.minute).toBe("2026-01-01T11:31:00.000Z");
    expect(stats.throughput[59]).toEqual({ minute: "2026-01-01T12:30:00.000Z", successful: 4, failed: 1 });
    expect(stats.throughput.find((p) => p.minute === "2026-01-01T11:40:00.000Z")).toMatchObject({
      successful: 1,
      failed: 1,
    });
    expect(stats.throughput.reduce((n, p) => n + p.successful + p.failed, 0)).toBe(7);
    expect(stats.generatedAt).toBe(now.toISOString());
  });
});
