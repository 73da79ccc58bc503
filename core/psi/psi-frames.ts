/** How the run's streams map onto signed frames (crypto/psi/frame.ts): kind and element size per stream. */
import type { PsiFrameHeader, PsiFrameIdType, PsiFrameKind, PsiFrameSuite } from '../../crypto/psi/frame.ts';
import { ELEMENT_BYTES } from '../../crypto/psi/suites.ts';
import { COMPARE_BYTES, type ClientFetchStream, type ClientSendStream } from './psi-protocol.ts';

type WireStream = ClientSendStream | ClientFetchStream;

const kinds: Record<WireStream, PsiFrameKind> = {
  'client-blinded': 'blinded',
  'server-blinded': 'blinded',
  'client-double': 'truncated',
  'server-double': 'truncated',
};

export const frameKindOf = (stream: WireStream): PsiFrameKind => kinds[stream];
export const elementBytesOf = (stream: WireStream): number => (kinds[stream] === 'blinded' ? ELEMENT_BYTES : COMPARE_BYTES);

export function frameHeader(run: { collaboration_id: string; id: string; suite: string }, idType: string, stream: WireStream, sequence: number, last: boolean): Omit<PsiFrameHeader, 'count'> {
  return {
    kind: frameKindOf(stream),
    suite: run.suite as PsiFrameSuite,
    idType: idType as PsiFrameIdType,
    collaborationId: run.collaboration_id,
    runId: run.id,
    sequence,
    last,
    elementBytes: elementBytesOf(stream),
  };
}
