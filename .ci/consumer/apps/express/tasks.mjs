import { task } from "@errand/core";

export const greet = task({ name: "consumer.greet", queueName: "email" }, async (name) => ({
  greeting: `hello ${name}`,
  node: process.version,
}));
