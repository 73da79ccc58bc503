/**
 * Reading a fake's request: fields of a losslessly parsed JSON body (numbers are LosslessNumber),
 * query strings and multipart forms, each refusing what the contract does not allow.
 */
import type { FastifyRequest } from 'fastify';
import { isLosslessNumber } from 'lossless-json';
import { demand } from './contract-violation.ts';

export type Fields = Record<string, unknown>;

export function objectOf(value: unknown, what = 'the body'): Fields {
  demand(typeof value === 'object' && value !== null && !Array.isArray(value), `${what} must be a JSON object`);
  return value as Fields;
}

export function textOf(value: unknown, name: string): string {
  demand(typeof value === 'string' && value !== '', `${name} must be a non-empty string`);
  return value;
}

/** An integer id sent either as a JSON number or as a string of digits, as its exact digits. */
export function idOf(value: unknown, name: string): string {
  const digits = isLosslessNumber(value) ? value.value : value;
  demand(typeof digits === 'string' && /^\d+$/.test(digits), `${name} must be an integer id`);
  return digits;
}

/** An integer id that must be a bare JSON number (Amazon): a quoted one is refused. */
export function bareIdOf(value: unknown, name: string): string {
  demand(isLosslessNumber(value), `${name} must be a JSON number, not a string`);
  return idOf(value, name);
}

export function intOf(value: unknown, name: string): number {
  const number = isLosslessNumber(value) ? Number(value.value) : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  demand(typeof number === 'number' && Number.isSafeInteger(number), `${name} must be an integer`);
  return number;
}

export function listOf(value: unknown, name: string): unknown[] {
  demand(Array.isArray(value), `${name} must be a list`);
  return value;
}

/** A query parameter holding a JSON list (Ocean Engine, TikTok, Tencent pass lists that way). */
export function jsonQueryList(value: unknown, name: string): unknown[] {
  try {
    return listOf(JSON.parse(textOf(value, name)), name);
  } catch {
    return listOf(undefined, name);
  }
}

export interface MultipartForm {
  readonly fields: Record<string, string>;
  readonly file: { readonly name: string; readonly data: Buffer } | undefined;
}

export async function multipartOf(request: FastifyRequest): Promise<MultipartForm> {
  demand(request.isMultipart(), 'the request must be multipart/form-data');
  const fields: Record<string, string> = {};
  let file: MultipartForm['file'];
  for await (const part of request.parts()) {
    if (part.type === 'file') file = { name: part.filename, data: await part.toBuffer() };
    else fields[part.fieldname] = String(part.value);
  }
  return { fields, file };
}
