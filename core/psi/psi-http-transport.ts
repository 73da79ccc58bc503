/**
 * The client's transport to a server node: signed HTTP requests (core/peers/peer-client.ts) to the
 * node-to-node PSI endpoints (api/routes/psi-node-routes.ts). A refusal by the server becomes a
 * PeerError carrying the server's problem code.
 */
import type { NodeIdentity } from '../identity/node-identity.ts';
import { callPeer, signedRequest, type PeerAddress } from '../peers/peer-client.ts';
import { PeerError } from '../peers/peer-errors.ts';
import type { PsiServerTransport } from './psi-client.ts';
import { serverRunView, type ClientFetchStream, type ClientSendStream, type FinishRunBody, type StartRunBody } from './psi-protocol.ts';

const MAX_FRAME_RESPONSE_BYTES = 17 * 1024 * 1024;

export const psiRunPath = (collaborationId: string, runId?: string) => `/v1/node/collaborations/${collaborationId}/psi-runs${runId ? `/${runId}` : ''}`;

async function refused(response: Response): Promise<never> {
  const text = await response.text().catch(() => '');
  let code: string | undefined;
  let detail = '';
  try {
    const problem = JSON.parse(text) as { code?: unknown; detail?: unknown };
    code = typeof problem.code === 'string' ? problem.code : undefined;
    detail = typeof problem.detail === 'string' ? `: ${problem.detail}` : '';
  } catch {
    // Not problem+json: the status says enough.
  }
  throw new PeerError('ACCORD_ERR_PEER_REFUSED', `the peer answered ${response.status}${code ? ` ${code}` : ''}${detail}`, { peerStatus: response.status, peerCode: code });
}

export function httpPsiTransport(identity: NodeIdentity, server: PeerAddress, collaborationId: string, runId: string): PsiServerTransport {
  const run = psiRunPath(collaborationId, runId);
  const traffic = { sent: 0, received: 0 };
  return {
    traffic,
    start: async (body: StartRunBody) => serverRunView.parse(await callPeer(identity, server, 'POST', psiRunPath(collaborationId), body)),
    view: async () => serverRunView.parse(await callPeer(identity, server, 'GET', run)),
    async send(idType: string, stream: ClientSendStream, frame: Uint8Array) {
      traffic.sent += frame.length;
      const response = await signedRequest(identity, server, 'POST', `${run}/frames/${idType}/${stream}`, frame, 'application/octet-stream', { timeoutMs: 300_000 });
      if (!response.ok) await refused(response);
      await response.arrayBuffer();
    },
    async fetch(idType: string, stream: ClientFetchStream, seq: number) {
      const response = await signedRequest(identity, server, 'GET', `${run}/frames/${idType}/${stream}/${seq}`, undefined, undefined, { timeoutMs: 300_000 });
      if (!response.ok) await refused(response);
      // A frame is at most 16 MiB of body; a longer answer is refused before it is read.
      const length = Number(response.headers.get('content-length') ?? NaN);
      if (!Number.isFinite(length) || length > MAX_FRAME_RESPONSE_BYTES) {
        await response.body?.cancel();
        throw new PeerError('ACCORD_ERR_PEER_REFUSED', `the peer answered a frame of ${Number.isFinite(length) ? length : 'unknown'} bytes`);
      }
      const frame = new Uint8Array(await response.arrayBuffer());
      if (frame.length > MAX_FRAME_RESPONSE_BYTES) throw new PeerError('ACCORD_ERR_PEER_REFUSED', `the peer answered a frame of ${frame.length} bytes`);
      traffic.received += frame.length;
      return frame;
    },
    finish: async (body: FinishRunBody) => serverRunView.parse(await callPeer(identity, server, 'POST', `${run}/finish`, body)),
    async fail(reason: string) {
      await callPeer(identity, server, 'POST', `${run}/fail`, { reason });
    },
  };
}
