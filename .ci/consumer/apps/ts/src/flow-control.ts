// API.md's "Running it in production: flow control" examples, as written: must compile.
import { defineConfig, getBackend, task, type QueueInfo } from "@errand/core";

export default defineConfig({
  tasks: ["./tasks.ts"],
  queues: {
    email: { concurrency: 5, rateLimit: { limit: 100, periodSeconds: 60 } },
  },
});

export const syncCustomer = task(
  { name: "crm.syncCustomer", concurrencyKey: (customerId: string) => `customer:${customerId}`, concurrencyLimit: 1 },
  async (customerId: string) => {
    /* at most one sync per customer runs at a time, anywhere */
    void customerId;
  },
);

export async function operate(): Promise<number> {
  const backend = getBackend();
  await backend.pauseQueue("email");
  await backend.resumeQueue("email");
  const queues: QueueInfo[] = await backend.queues();
  const first = queues[0];
  const summary: [string, boolean, number, number, number, Date | null, number | null, number | null] | null = first
    ? [
        first.name,
        first.paused,
        first.pending,
        first.running,
        first.failed,
        first.oldestDueAt,
        first.concurrency,
        first.rateLimit?.limit ?? null,
      ]
    : null;
  void summary;
  const retried: number = await backend.retryMany({ status: "FAILED", queueName: "email" });
  const cancelled: number = await backend.cancelMany({ status: "PENDING", taskName: "crm.syncCustomer" });
  return retried + cancelled;
}
