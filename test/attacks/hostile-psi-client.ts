/**
 * A deliberately modified PSI client for the attack suites: it speaks the node-to-node protocol
 * (signed requests, signed frames) with the brand's own key, but declares, sends and returns what
 * the test tells it to, and skips every check and guard the honest client (core/psi/psi-client.ts)
 * runs. Each step answers with what the server said, refusals included, so a test can show what an
 * attacker gets at each point.
 */
import { createHash, randomUUID } from 'node:crypto';
import { signedRequest } from '../../core/peers/peer-client.ts';
import { elementBytesOf, frameHeader, frameKindOf } from '../../core/psi/psi-frames.ts';
import { psiRunPath } from '../../core/psi/psi-http-transport.ts';
import type { ClientFetchStream, ClientSendStream, ServerRunView } from '../../core/psi/psi-protocol.ts';
import { decodePsiFrame, encodePsiFrame, type PsiFrameIdType } from '../../crypto/psi/frame.ts';
import type { PsiEngine, PsiKey } from '../../crypto/psi/psi-engine.ts';
import { psiDomainSeparationTag } from '../../crypto/psi/suites.ts';
import { waitFor } from '../support/job-runners.ts';
import type { PsiTestNode } from '../api/psi-fixtures.ts';

export interface Answer<T = unknown> {
  readonly status: number;
  readonly code: string | undefined;
  readonly body: T;
}

/** The digest PSI feeds in for a normalised identifier (core/psi/psi-digest.ts). */
export const digestOf = (normalised: string): Uint8Array => new Uint8Array(createHash('sha256').update(normalised, 'utf8').digest());

export class HostileClient {
  readonly runId = randomUUID();

  private constructor(
    private readonly brand: PsiTestNode,
    private readonly partner: PsiTestNode,
    private readonly collaborationId: string,
    readonly engine: PsiEngine,
    readonly key: PsiKey,
  ) {}

  static async against(brand: PsiTestNode, partner: PsiTestNode, collaborationId: string): Promise<HostileClient> {
    const engine = await brand.engines.engine('ristretto255');
    return new HostileClient(brand, partner, collaborationId, engine, engine.newKey());
  }

  private get run(): string {
    return psiRunPath(this.collaborationId, this.runId);
  }

  async ask<T = unknown>(method: 'GET' | 'POST', path: string, body?: object | Uint8Array): Promise<Answer<T>> {
    const response = await signedRequest(this.brand.node.identity, { nodeId: this.partner.node.identity.nodeId, baseUrl: this.partner.node.url }, method, path, body);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (response.headers.get('content-type')?.startsWith('application/octet-stream')) return { status: response.status, code: undefined, body: bytes as T };
    const parsed = bytes.length > 0 ? (JSON.parse(new TextDecoder().decode(bytes)) as T & { code?: string }) : undefined;
    return { status: response.status, code: parsed?.code, body: parsed as T };
  }

  /** Starts the run with whatever sizes the attacker declares, and waits until the server's set is ready. */
  async start(idTypes: string[], declared: Record<string, number>): Promise<Answer<ServerRunView>> {
    const started = await this.ask<ServerRunView>('POST', psiRunPath(this.collaborationId), { runId: this.runId, collaborationId: this.collaborationId, idTypes, declared });
    if (started.status !== 202) return started;
    const view = await waitFor(async () => {
      const current = await this.view();
      return current.body.status !== 'preparing' ? current : undefined;
    }, 'the server set prepared');
    return view;
  }

  view(): Promise<Answer<ServerRunView>> {
    return this.ask<ServerRunView>('GET', this.run);
  }

  /** H(x)^a of digests under the attacker's key. */
  blind(digests: Uint8Array, idType: string): Promise<Uint8Array> {
    return this.engine.hashAndBlind(digests, psiDomainSeparationTag('ristretto255', this.collaborationId, idType), this.key);
  }

  /** Sends a whole stream from frame `from` on, in frames of `perFrame` elements; stops at the first refusal. */
  async send(idType: string, stream: ClientSendStream, packed: Uint8Array, options: { from?: number; perFrame?: number; last?: boolean } = {}): Promise<Answer<ServerRunView>> {
    const elementBytes = elementBytesOf(stream);
    const step = (options.perFrame ?? 65_536) * elementBytes;
    const frames = Math.max(1, Math.ceil(packed.length / step));
    let answer: Answer<ServerRunView> | undefined;
    for (let i = 0; i < frames; i++) {
      const seq = (options.from ?? 0) + i;
      const last = i === frames - 1 && options.last !== false;
      const frame = encodePsiFrame(frameHeader({ collaboration_id: this.collaborationId, id: this.runId, suite: 'ristretto255' }, idType, stream, seq, last), packed.subarray(i * step, (i + 1) * step), this.brand.node.identity.sign);
      answer = await this.ask<ServerRunView>('POST', `${this.run}/frames/${idType}/${stream}`, frame);
      if (answer.status !== 200) return answer;
    }
    return answer!;
  }

  /** Every frame of a server stream, bodies concatenated; or the refusal of the first frame that was refused. */
  async fetch(idType: string, stream: ClientFetchStream): Promise<{ ok: true; body: Uint8Array } | { ok: false; refusal: Answer }> {
    const bodies: Uint8Array[] = [];
    for (let seq = 0; ; seq++) {
      const answer = await this.ask<Uint8Array>('GET', `${this.run}/frames/${idType}/${stream}/${seq}`);
      if (answer.status !== 200) return { ok: false, refusal: answer };
      const { header, body } = decodePsiFrame(answer.body, {
        publicKey: this.partner.node.identity.publicKey,
        collaborationId: this.collaborationId,
        runId: this.runId,
        sequence: seq,
        kind: frameKindOf(stream),
        idType: idType as PsiFrameIdType,
        elementBytes: elementBytesOf(stream),
        maxCount: 65_536,
      });
      bodies.push(body);
      if (header.last) return { ok: true, body: Buffer.concat(bodies) };
    }
  }

  /** Finishes as a client that skipped its own guard: it tells the server nothing was released. */
  finish(): Promise<Answer<ServerRunView>> {
    return this.ask<ServerRunView>('POST', `${this.run}/finish`, { decision: null });
  }

  close(): void {
    this.key.destroy();
  }
}
