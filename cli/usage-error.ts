/** A command used the wrong way: printed as one line, exit 1. */
export class UsageError extends Error {}
