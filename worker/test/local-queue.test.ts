// The local queue on its own: order, the size it aims for, and giving back.
import { describe, expect, it } from "vitest";
import type { TaskRecord } from "@errand/core";
import { LocalQueue } from "../src/local-queue";

const task = (id: string) => ({ id }) as TaskRecord;
const tasks = (n: number, prefix = "t") => Array.from({ length: n }, (_, i) => task(`${prefix}${i}`));

describe("LocalQueue", () => {
  it("puts limited tasks first and takes a paused queue's tasks out, keeping the others' order", () => {
    const queue = new LocalQueue({ max: 10, slowStartMs: 1000 });
    const onQueue = (id: string, queueName: string) => ({ id, queueName }) as TaskRecord;
    queue.push([onQueue("a", "email"), onQueue("b", "default"), onQueue("c", "email")]);
    expect(queue.take()?.id).toBe("a");
    queue.pushFront([onQueue("limited", "api")]);
    expect(queue.takeWhere((t) => t.queueName === "email").map((t) => t.id)).toEqual(["c"]);
    expect(queue.size).toBe(2);
    expect([queue.take(), queue.take(), queue.take()].map((t) => t?.id)).toEqual(["limited", "b", undefined]);
  });

  it("hands tasks out oldest claim first", () => {
    const queue = new LocalQueue({ max: 10, slowStartMs: 1000 });
    queue.push(tasks(2, "a"));
    queue.push(tasks(2, "b"));
    expect([queue.take(), queue.take(), queue.take(), queue.take(), queue.take()].map((t) => t?.id)).toEqual([
      "a0",
      "a1",
      "b0",
      "b1",
      undefined,
    ]);
    expect(queue.size).toBe(0);
  });

  it("never hands out a task claimed longer than maxWaitMs ago, whatever pushFront put before it", () => {
    const queue = new LocalQueue({ max: 10, slowStartMs: 1000, maxWaitMs: 1000 });
    const now = performance.now();
    queue.push(tasks(2, "old"), now - 1500);
    // A later claim's limited task goes first; the stale ones behind it must not start.
    queue.pushFront([task("fresh-limited")], now);
    queue.push([task("fresh")], now);
    const stale: TaskRecord[] = [];
    expect([queue.take(stale), queue.take(stale), queue.take(stale)].map((t) => t?.id)).toEqual([
      "fresh-limited",
      "fresh",
      undefined,
    ]);
    expect(stale.map((t) => t.id)).toEqual(["old0", "old1"]);
    expect(queue.size).toBe(0);
  });

  it("claims only for free slots until a slot starves, then doubles up to max", () => {
    const queue = new LocalQueue({ max: 20, slowStartMs: 1000 });
    expect(queue.claimSize(3)).toBe(3);
    const sizes = [];
    for (let i = 0; i < 7; i++) {
      queue.starved();
      sizes.push(queue.claimSize(1));
    }
    // 1 free slot + a target of 1, 2, 4, 8, 16, then capped at 20.
    expect(sizes).toEqual([2, 3, 5, 9, 17, 21, 21]);
  });

  it("asks for nothing while more than half of its target waits, so claims stay large", () => {
    const queue = new LocalQueue({ max: 8, slowStartMs: 1000 });
    for (let i = 0; i < 4; i++) {
      queue.starved();
      queue.claimSize(0);
    }
    expect(queue.target).toBe(8);
    queue.push(tasks(8));
    expect(queue.claimSize(0)).toBe(0);
    for (let i = 0; i < 4; i++) queue.take();
    // Half left: refill to the target.
    expect(queue.claimSize(0)).toBe(4);
  });

  it("counts what claims in flight asked for as already queued", () => {
    const queue = new LocalQueue({ max: 8, slowStartMs: 1000 });
    for (let i = 0; i < 4; i++) {
      queue.starved();
      queue.claimSize(0);
    }
    expect(queue.claimSize(0, 4)).toBe(4);
    expect(queue.claimSize(0, 5)).toBe(0);
    queue.push(tasks(2));
    expect(queue.claimSize(1, 2)).toBe(5);
  });

  it("with max 0 never claims ahead", () => {
    const queue = new LocalQueue({ max: 0, slowStartMs: 1000 });
    queue.starved();
    expect(queue.claimSize(4)).toBe(4);
    expect(queue.target).toBe(0);
  });

  it("gives back what waited too long, halves its target, and removes a lost task", async () => {
    const queue = new LocalQueue({ max: 8, slowStartMs: 5 });
    for (let i = 0; i < 4; i++) {
      queue.starved();
      queue.claimSize(0);
    }
    queue.push(tasks(3, "old"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    queue.push(tasks(2, "new"));
    expect(queue.takeOlderThan(10).map((t) => t.id)).toEqual(["old0", "old1", "old2"]);
    expect(queue.target).toBe(4);
    expect(queue.remove("new0")).toBe(true);
    expect(queue.remove("new0")).toBe(false);
    expect(queue.takeAll().map((t) => t.id)).toEqual(["new1"]);
    expect(queue.size).toBe(0);
  });

  it("halves its target when a task waited longer than slowStartMs to start", async () => {
    const queue = new LocalQueue({ max: 8, slowStartMs: 5 });
    for (let i = 0; i < 4; i++) {
      queue.starved();
      queue.claimSize(0);
    }
    queue.push(tasks(2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    queue.take();
    expect(queue.target).toBe(4);
  });
});
