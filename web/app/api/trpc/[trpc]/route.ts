import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createRequestContext } from "@/lib/auth";
import { taskRouter } from "@/lib/task-router";

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: taskRouter,
    createContext: () => createRequestContext(req),
  });

export { handler as GET, handler as POST };
