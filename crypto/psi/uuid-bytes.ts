/**
 * UUIDs (collaboration and run ids) as the 16 raw bytes PSI frames and payload keys bind to.
 * Only the canonical 8-4-4-4-12 hex form is accepted, so one id has exactly one byte string.
 */

export const UUID_BYTES = 16;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function uuidToBytes(uuid: string): Uint8Array {
  if (!UUID.test(uuid)) throw new RangeError(`not a UUID: ${JSON.stringify(uuid)}`);
  return Uint8Array.from(Buffer.from(uuid.replaceAll('-', ''), 'hex'));
}

/** Lower-case canonical form, which is what comparisons use. */
export function bytesToUuid(bytes: Uint8Array): string {
  if (bytes.length !== UUID_BYTES) throw new RangeError(`a UUID is ${UUID_BYTES} bytes`);
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function sameUuid(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
