import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createTaskRouter, withStreamLimit } from "@errand/trpc";
import { sendWelcomeEmail } from "@/tasks";

const router = createTaskRouter({ tasks: [sendWelcomeEmail], authorize: () => true });
const handler = withStreamLimit(
  (req: Request) => fetchRequestHandler({ endpoint: "/api/trpc", req, router, createContext: () => ({}) }),
  { router, endpoint: "/api/trpc", maxStreams: 100 },
);
export { handler as GET, handler as POST };
