import type { APIRequestContext } from "@playwright/test";

/** Enqueues through the app's tRPC endpoint, as another client of the app would. */
export async function enqueueViaApi(
  request: APIRequestContext,
  body: { task: string; args: unknown[]; options?: { delay?: number; priority?: number } },
): Promise<{ id: string; status: string }> {
  const response = await request.post("/api/trpc/enqueue", { data: body });
  if (!response.ok()) throw new Error(`enqueue failed: ${response.status()} ${await response.text()}`);
  return ((await response.json()) as { result: { data: { id: string; status: string } } }).result.data;
}

/** Tasks of one name, through the app's tRPC `list`. */
export async function listTasks(
  request: APIRequestContext,
  taskName: string,
): Promise<{ id: string; status: string }[]> {
  const input = encodeURIComponent(JSON.stringify({ taskName, limit: 200 }));
  const response = await request.get(`/api/trpc/list?input=${input}`);
  if (!response.ok()) throw new Error(`list failed: ${response.status()} ${await response.text()}`);
  return ((await response.json()) as { result: { data: { items: { id: string; status: string }[] } } }).result.data
    .items;
}
