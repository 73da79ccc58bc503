/**
 * Why homomorphic-encryption input was refused, as stable codes. Each means the bytes came from a
 * broken or hostile peer (or a mix-up of runs) and nothing was computed from them.
 */
export const heErrorCodes = {
  ACCORD_ERR_HE_MALFORMED: 'The bytes are not a well-formed ciphertext of the expected kind',
  ACCORD_ERR_HE_TOO_LARGE: 'The ciphertext is larger than its kind allows',
  ACCORD_ERR_HE_WRONG_PARAMS: 'The ciphertext belongs to other encryption parameters or another level',
  ACCORD_ERR_HE_UNDECRYPTABLE: 'The ciphertext does not decrypt under this key to a value in range',
  ACCORD_ERR_HE_VALUE_RANGE: 'A value is outside the range the parameters can carry exactly',
} as const;

export type HeErrorCode = keyof typeof heErrorCodes;

export class HeError extends Error {
  constructor(
    readonly code: HeErrorCode,
    detail: string,
  ) {
    super(detail);
    this.name = 'HeError';
  }
}
