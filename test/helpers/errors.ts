import { expect } from 'vitest';
import { ExternalServiceError } from '../../src/core/errors.js';

/** Awaits a promise that must reject with one of Vigil's typed external errors, and returns it. */
export async function externalFailure(promise: Promise<unknown>): Promise<ExternalServiceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ExternalServiceError);
  return error as ExternalServiceError;
}
