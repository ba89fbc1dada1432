import { createServer, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { collectAfterBurst } from "../scripts/collect-after-burst";

let server: Server;

async function start(options: {
  minClosed: number;
  delayMs: number;
}): Promise<{ port: number; collections: () => number }> {
  let collections = 0;
  server = createServer((_req, res) => res.end("ok"));
  collectAfterBurst(server, { ...options, gc: () => collections++ });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, collections: () => collections };
}

/** Opens `n` connections, waits until the server has them all, then closes them. */
async function burst(port: number, n: number): Promise<void> {
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve) => {
          const s = connect(port, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  await expect.poll(() => new Promise((resolve) => server.getConnections((_e, count) => resolve(count)))).toBe(n);
  for (const socket of sockets) socket.destroy();
  await expect.poll(() => new Promise((resolve) => server.getConnections((_e, count) => resolve(count)))).toBe(0);
}

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe("collectAfterBurst", () => {
  it("collects once, after the delay, when a burst of connections has closed", async () => {
    const { port, collections } = await start({ minClosed: 20, delayMs: 200 });
    await burst(port, 30);
    expect(collections()).toBe(0);
    await expect.poll(collections, { timeout: 2000 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(collections()).toBe(1);
  });

  it("does not collect for a few connections closing", async () => {
    const { port, collections } = await start({ minClosed: 20, delayMs: 100 });
    await burst(port, 5);
    await burst(port, 5);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(collections()).toBe(0);
  });
});
