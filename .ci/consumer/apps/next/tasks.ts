import { task } from "@errand/core";

export const sendWelcomeEmail = task(
  { name: "accounts.sendWelcomeEmail", queueName: "email" },
  async (email: string) => ({ sent: true, email, node: process.version }),
);
