/**
 * The one error a peer can provoke with bad bytes: an element that is not a valid encoding of a
 * usable group element (non-canonical, off the group, the identity or a low-order point). `index`
 * is the element's position in the caller's packed input, so a protocol layer can say which frame
 * was bad without keeping any partial result.
 */
export class PsiPointError extends Error {
  readonly code = 'ACCORD_ERR_PSI_INVALID_POINT';

  constructor(
    readonly index: number,
    readonly reason: string,
  ) {
    super(`PSI element ${index} is not a valid group element: ${reason}`);
    this.name = 'PsiPointError';
  }
}
