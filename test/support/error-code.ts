/** The stable code of the error `work` throws, undefined if it returns; errors without a code are rethrown. */
export function errorCode(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
    throw error;
  }
  return undefined;
}
