import { task } from "@errand/core";

export const add = task({ name: "consumer.add", queueName: "default" }, async (a: number, b: number) => ({
  sum: a + b,
  label: `${a}+${b}`,
}));

export const greet = task("consumer.greet", async (name: string) => `hello ${name}`);
