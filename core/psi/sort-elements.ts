/**
 * Puts a party's blinded elements in ascending byte order before they leave the node. Blinded
 * elements are pseudorandom under a key the receiver does not hold, so sorted order is a uniformly
 * random order that says nothing about the sender's rows — the shuffle the protocol needs — and,
 * unlike a random shuffle, it is the same on every attempt, so a resumed run sends exactly what
 * the interrupted one would have. `order[i]` is the input index of sorted element i.
 */
export function sortElements(packed: Uint8Array, elementBytes: number): { sorted: Uint8Array; order: Uint32Array } {
  const count = packed.length / elementBytes;
  if (!Number.isInteger(count)) throw new RangeError(`${packed.length} bytes is not a whole number of ${elementBytes}-byte elements`);
  const view = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  // A 48-bit prefix as a number decides almost every comparison without touching the bytes again.
  const prefix = new Float64Array(count);
  for (let i = 0; i < count; i++) prefix[i] = view.readUIntBE(i * elementBytes, 6);
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((a, b) => prefix[a]! - prefix[b]! || view.compare(view, b * elementBytes, (b + 1) * elementBytes, a * elementBytes, (a + 1) * elementBytes));
  const sorted = new Uint8Array(packed.length);
  for (let i = 0; i < count; i++) sorted.set(packed.subarray(order[i]! * elementBytes, (order[i]! + 1) * elementBytes), i * elementBytes);
  return { sorted, order };
}
