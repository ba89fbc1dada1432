import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { withStreamLimit } from "@errand/trpc";
import { createRequestContext } from "@/lib/auth";
import { taskRouter } from "@/lib/task-router";

/** No request fans out into more calls than this (the client's `maxItems` matches). */
const MAX_BATCH_SIZE = 10;
/** Bytes of a request body; an enqueue's arguments are small JSON. */
const MAX_BODY_BYTES = 256 * 1024;

/** `watch` streams this process holds open at once; one more is answered 503 with Retry-After. */
const MAX_STREAMS = Number(process.env.ERRAND_MAX_STREAMS ?? 1000);

async function serve(req: Request): Promise<Response> {
  const tooLarge = () =>
    Response.json({ error: { message: `Request body over ${MAX_BODY_BYTES} bytes.` } }, { status: 413 });
  if (Number(req.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) return tooLarge();
  let request = req;
  if (req.method === "POST" && req.body) {
    // Read with a cap: a chunked body carries no Content-Length.
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = req.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel();
        return tooLarge();
      }
      chunks.push(value);
    }
    request = new Request(req.url, { method: req.method, headers: req.headers, body: Buffer.concat(chunks) });
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: taskRouter,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: () => createRequestContext(request),
  });
}

// Given the context, the limit serves `watch` itself: each change serialized once for every stream.
const handler = withStreamLimit(serve, {
  router: taskRouter,
  endpoint: "/api/trpc",
  maxStreams: MAX_STREAMS,
  createContext: (req) => createRequestContext(req),
});

export { handler as GET, handler as POST };
