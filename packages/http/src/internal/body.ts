import { OAuthError } from '@passport/core';
import type { Incoming } from './incoming.js';
import { checkParameters, encodedParametersProblem, jsonShapeProblem } from './input.js';

/** Default body limit: 64 KiB. */
export const defaultMaxBodyBytes = 64 * 1024;

/** The request body is larger than the configured limit: answered with 413. */
export class PayloadTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`The request body exceeds ${limit} bytes`);
    this.name = 'PayloadTooLargeError';
    this.limit = limit;
  }
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    throw OAuthError.invalidRequest('The request body is not valid UTF-8');
  }
}

/**
 * Reads the body as UTF-8 text, refusing more than `limit` bytes: first by `Content-Length`, then
 * by counting while reading the stream (a lying or absent `Content-Length` does not help).
 */
export async function readBodyText(incoming: Incoming, limit: number): Promise<string> {
  assertDeclaredLength(incoming, limit);
  const buffered = incoming.takeBufferedBody();
  if (buffered === null) return '';
  if (buffered !== undefined) {
    if (buffered.byteLength > limit) throw new PayloadTooLargeError(limit);
    return decodeUtf8(buffered);
  }
  const request = incoming.request;
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await reader.read();
    } catch (error) {
      if (error instanceof PayloadTooLargeError) throw error;
      if (isTooLargeMarker(error)) throw new PayloadTooLargeError(limit);
      throw OAuthError.invalidRequest('The request body could not be read');
    }
    if (result.done) break;
    total += result.value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(limit);
    }
    chunks.push(result.value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decodeUtf8(bytes);
}

/** Errors raised by a body stream that the node adapter cut off for size. */
function isTooLargeMarker(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ERR_BODY_TOO_LARGE'
  );
}

/** Throws {@link PayloadTooLargeError} when `Content-Length` announces more than `limit` bytes. */
function assertDeclaredLength(incoming: Incoming, limit: number): void {
  const declared = incoming.header('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) {
    throw new PayloadTooLargeError(limit);
  }
}

/** The media type of the request, lowercase, without parameters; `null` when absent. */
export function mediaType(incoming: Incoming): string | null {
  const header = incoming.header('content-type');
  if (header === null) return null;
  return (header.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * Parses an `application/x-www-form-urlencoded` body. A different content type, a parameter sent
 * more than once (RFC 6749 section 3.1), or a name or value that is too long or holds a control
 * character (see `checkParameters`) is `invalid_request`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1
 */
export async function readForm(incoming: Incoming, limit: number): Promise<URLSearchParams> {
  if (mediaType(incoming) !== 'application/x-www-form-urlencoded') {
    // Still enforce the size limit first, so an oversized body is always 413.
    assertDeclaredLength(incoming, limit);
    throw OAuthError.invalidRequest('The request body must be application/x-www-form-urlencoded');
  }
  const text = await readBodyText(incoming, limit);
  const problem = encodedParametersProblem(text);
  if (problem !== null) throw OAuthError.invalidRequest(problem);
  const params = new URLSearchParams(text);
  checkParameters(params);
  return params;
}

/**
 * Reads a JSON object or a form body (the JSON API accepts both). Returns `{}` for an empty body.
 * Throws `invalid_request` for another content type or malformed JSON.
 */
export async function readJsonOrForm(incoming: Incoming, limit: number): Promise<Record<string, unknown>> {
  const type = mediaType(incoming);
  if (type === 'application/x-www-form-urlencoded') {
    const params = await readForm(incoming, limit);
    const out: Record<string, unknown> = {};
    for (const [key, value] of params) out[key] = value;
    return out;
  }
  if (type === null) {
    const text = await readBodyText(incoming, limit);
    if (text.trim() === '') return {};
    throw OAuthError.invalidRequest('The request body must be application/json');
  }
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw OAuthError.invalidRequest('The request body must be application/json');
  }
  const text = await readBodyText(incoming, limit);
  if (text.trim() === '') return {};
  const shape = jsonShapeProblem(text);
  if (shape !== null) throw OAuthError.invalidRequest(shape);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw OAuthError.invalidRequest('The request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw OAuthError.invalidRequest('The request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
