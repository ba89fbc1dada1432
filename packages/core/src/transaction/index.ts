import { atomic, inAtomicBlock, onCommit } from "./atomic";

/**
 * Django-style transactions: `atomic` blocks (savepoints when nested) and `onCommit`
 * callbacks that run only after the outermost block commits.
 */
export const transaction = { atomic, onCommit, inAtomicBlock } as const;
