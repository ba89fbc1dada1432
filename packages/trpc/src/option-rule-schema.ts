import { z } from "zod";
import { optionProblem, QUEUE_NAME_RULE, showValue, TASK_NAME_RULE, type OptionRule } from "@errand/core/internal";

/**
 * A zod schema that accepts what one of core's option rules accepts and refuses the rest in
 * core's words, so that an input and the option it sets share one rule (`using()` and the
 * `enqueue` input both read `USING_OPTIONS.priority`). `T` is the type the rule accepts.
 *
 * @example
 * priority: optionRuleSchema<number>(USING_OPTIONS.priority).optional()
 * // options.priority: must be an integer from -100 to 100 (higher runs first), got 1000
 */
export function optionRuleSchema<T>(rule: OptionRule): z.ZodType<T, T> {
  return z.custom<T>().superRefine((value, ctx) => {
    const problem = optionProblem(rule, value);
    if (problem !== null) ctx.addIssue({ code: "custom", message: `${problem}, got ${showValue(value)}` });
  });
}

/** A queue name, as `using({ queueName })` takes it. */
export const queueNameSchema = optionRuleSchema<string>(QUEUE_NAME_RULE);

/** A task name, as the schema stores it. */
export const taskNameSchema = optionRuleSchema<string>(TASK_NAME_RULE);
