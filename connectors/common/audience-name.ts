/**
 * Audience names cut to a platform's limit (Tencent 32 bytes, Ocean Engine 30 characters, Kuaishou
 * 50, TikTok 128): the name is only a label, and refusing a sync over its length would help no one.
 * Cuts fall between code points, never inside a character.
 */
export function fitName(name: string, limit: { chars?: number; utf8Bytes?: number }): string {
  let fitted = [...name].slice(0, limit.chars ?? Infinity);
  if (limit.utf8Bytes !== undefined) {
    while (Buffer.byteLength(fitted.join('')) > limit.utf8Bytes) fitted = fitted.slice(0, -1);
  }
  return fitted.join('');
}
