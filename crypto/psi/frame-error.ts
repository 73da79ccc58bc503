/**
 * Why a PSI frame was refused, as stable codes. Every code means the frame is dropped and the run
 * cannot continue from it; the codes differ so that operators can tell a broken link (checksum) from a
 * wrong or hostile peer (signature, binding) from a confused one (replay, out of order).
 */
export const psiFrameErrorCodes = {
  ACCORD_ERR_PSI_FRAME_MALFORMED: 'The frame is not a well-formed Accord PSI frame',
  ACCORD_ERR_PSI_FRAME_CHECKSUM: 'The frame was altered in transit (checksum mismatch)',
  ACCORD_ERR_PSI_FRAME_SIGNATURE: 'The frame is not signed by the expected peer node',
  ACCORD_ERR_PSI_FRAME_BINDING: 'The frame belongs to another collaboration, run, kind, suite or identifier type',
  ACCORD_ERR_PSI_FRAME_REPLAY: 'The frame repeats a sequence number already received',
  ACCORD_ERR_PSI_FRAME_OUT_OF_ORDER: 'The frame skips ahead of the expected sequence number',
  ACCORD_ERR_PSI_FRAME_TOO_LARGE: 'The frame holds more elements than allowed',
} as const;

export type PsiFrameErrorCode = keyof typeof psiFrameErrorCodes;

export class PsiFrameError extends Error {
  constructor(
    readonly code: PsiFrameErrorCode,
    detail: string,
  ) {
    super(detail);
    this.name = 'PsiFrameError';
  }
}
