import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createTaskRouter } from "@errand/trpc";
import { sendWelcomeEmail } from "@/tasks";

const router = createTaskRouter({ tasks: [sendWelcomeEmail], authorize: () => true });
const handler = (req: Request) =>
  fetchRequestHandler({ endpoint: "/api/trpc", req, router, createContext: () => ({}) });
export { handler as GET, handler as POST };
