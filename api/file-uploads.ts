/**
 * What the file-import routes share (consent imports, data ingest): CSV and NDJSON bodies spooled
 * to a temporary file as they arrive and removed after the response, the encoding a client
 * declares, and streamed downloads of reports. Parsers registered here live only inside the
 * registering plugin; the rest of the API stays JSON-only.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { TextEncoding } from '../core/files/text-file.ts';
import { ApiError } from './errors.ts';
import { spoolUpload, SpooledUpload } from './spooled-upload.ts';

export const formatOfType: Record<string, 'csv' | 'ndjson'> = { 'text/csv': 'csv', 'application/x-ndjson': 'ndjson' };

/** Encoding labels people use for the two encodings we read (GBK and GB2312 are subsets of GB18030). */
export const encodingOfLabel: Record<string, TextEncoding> = { 'utf-8': 'utf-8', utf8: 'utf-8', gb18030: 'gb18030', gbk: 'gb18030', gb2312: 'gb18030' };
export const encodingLabel = z.enum(Object.keys(encodingOfLabel) as [string, ...string[]]);

/** Spools text/csv and application/x-ndjson bodies of this plugin's routes; `limitBytes` applies unless a route sets its own bodyLimit. */
export function acceptFileUploads(app: FastifyInstance, limitBytes: number): void {
  for (const type of Object.keys(formatOfType)) {
    app.addContentTypeParser(type, (request: FastifyRequest, payload: IncomingMessage) => spoolUpload(payload, request.routeOptions.bodyLimit ?? limitBytes, request.headers['content-length']));
  }
  const removeUpload = async (request: FastifyRequest) => {
    if (request.body instanceof SpooledUpload) await request.body.remove();
  };
  app.addHook('onResponse', removeUpload);
  app.addHook('onRequestAbort', removeUpload);
}

/** The spooled file of a request, its format and the encoding declared by query or charset (undefined: detect). */
export function uploadedFile(request: FastifyRequest, queryEncoding: string | undefined): { upload: SpooledUpload; format: 'csv' | 'ndjson'; encoding: TextEncoding | undefined } {
  const upload = request.body;
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const format = formatOfType[mediaType];
  if (!(upload instanceof SpooledUpload) || !format) throw new ApiError('ACCORD_ERR_UNSUPPORTED_MEDIA_TYPE', 'send the file as text/csv or application/x-ndjson');
  const charset = /;\s*charset="?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  const label = queryEncoding ?? charset;
  const encoding = label === undefined ? undefined : encodingOfLabel[label];
  if (label !== undefined && !encoding) throw new ApiError('ACCORD_ERR_VALIDATION', `encoding ${label} is not read; use utf-8 or gb18030 (gbk)`);
  return { upload, format, encoding };
}

/** Streams a download, one generated chunk at a time. */
export function sendDownload(reply: FastifyReply, type: string, filename: string, body: AsyncIterable<string>): FastifyReply {
  return reply.type(type).header('content-disposition', `attachment; filename="${filename}"`).send(Readable.from(body));
}
