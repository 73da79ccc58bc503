/** How the run's streams map onto signed frames (crypto/psi/frame.ts): kind and element size per stream. */
import type { PsiFrameHeader, PsiFrameIdType, PsiFrameKind, PsiFrameSuite } from '../../crypto/psi/frame.ts';
import { ELEMENT_BYTES } from '../../crypto/psi/suites.ts';
import { PAYLOAD_ENTRY_BYTES } from './oprf-sets.ts';
import { COMPARE_BYTES, type ClientFetchStream, type ClientSendStream } from './psi-protocol.ts';

type WireStream = ClientSendStream | ClientFetchStream;

const layouts: Record<WireStream, { kind: PsiFrameKind; elementBytes: number }> = {
  'client-blinded': { kind: 'blinded', elementBytes: ELEMENT_BYTES },
  'server-blinded': { kind: 'blinded', elementBytes: ELEMENT_BYTES },
  'client-double': { kind: 'truncated', elementBytes: COMPARE_BYTES },
  'server-double': { kind: 'truncated', elementBytes: COMPARE_BYTES },
  'server-double-full': { kind: 'double-blinded', elementBytes: ELEMENT_BYTES },
  'server-sum': { kind: 'sum', elementBytes: ELEMENT_BYTES },
  'server-double-sum': { kind: 'sum', elementBytes: ELEMENT_BYTES },
  'client-double-full': { kind: 'double-blinded', elementBytes: ELEMENT_BYTES },
  'server-gcs': { kind: 'gcs', elementBytes: 1 },
  'server-payload': { kind: 'payload', elementBytes: PAYLOAD_ENTRY_BYTES },
};

export const frameKindOf = (stream: WireStream): PsiFrameKind => layouts[stream].kind;
export const elementBytesOf = (stream: WireStream): number => layouts[stream].elementBytes;

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
