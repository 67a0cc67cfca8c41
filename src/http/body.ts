import express, { type ErrorRequestHandler, Router } from 'express';
import type { Config } from '../config';
import { HttpError } from '../errors';

/** Form and JSON body parsers with the app's size limit; a repeated form field becomes an array. */
export function bodyParsers(config: Config): Router {
  const limit = config.limits.bodyLimitBytes;
  return Router().use(express.urlencoded({ extended: false, limit }), express.json({ limit }));
}

/** Body-parser failures as plain 4xx messages; everything else goes on to the app's error handler. */
export const bodyErrors: ErrorRequestHandler = (err, _req, _res, next) => {
  if (err?.type === 'entity.parse.failed') return next(new HttpError(400, 'Invalid JSON body'));
  if (err?.type === 'entity.too.large') return next(new HttpError(413, 'Request body too large'));
  next(err);
};

/** An own field of a parsed body (never an inherited one like __proto__), or undefined. */
export function bodyField(body: unknown, name: string): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  return Object.hasOwn(body, name) ? (body as Record<string, unknown>)[name] : undefined;
}
