/**
 * A request that breaks the platform's contract, thrown by a fake's route and answered in the
 * platform's own error shape (each contract-server.ts maps the kinds to codes).
 */

export type ViolationKind = 'invalid' | 'not_found' | 'too_small' | 'too_large' | 'conflict';

export class ContractViolation extends Error {
  constructor(
    readonly kind: ViolationKind,
    message: string,
    /** Rows of the batch at fault, by position, when the platform names them. */
    readonly rows: ReadonlyArray<{ index: number; reason: string }> = [],
  ) {
    super(message);
    this.name = 'ContractViolation';
  }
}

/** Throws an `invalid` violation unless the condition holds. */
export function demand(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ContractViolation('invalid', message);
}
