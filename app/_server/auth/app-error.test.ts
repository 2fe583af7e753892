import { describe, expect, it, vi } from 'vitest';

/** Two copies of the module, as Next.js loads them in the root's bundle and in a route's or action's bundle. */
async function twoBundles() {
  vi.resetModules();
  const rootCopy = await import('./app-error');
  vi.resetModules();
  const routeCopy = await import('./app-error');
  return { rootCopy, routeCopy };
}

describe('AppError across bundles', () => {
  it('maps an error thrown by another bundle to its own status, not 500', async () => {
    const { rootCopy, routeCopy } = await twoBundles();
    expect(rootCopy.AppError).not.toBe(routeCopy.AppError);
    const conflict = new rootCopy.AppError('conflict', 'a user with e-mail "a@b.example" already exists');
    expect(conflict instanceof routeCopy.AppError).toBe(true);
    const mapped = routeCopy.toAppError(conflict);
    expect(mapped.status).toBe(409);
    expect(routeCopy.errorBody(mapped)).toEqual({ error: { code: 'conflict', message: 'a user with e-mail "a@b.example" already exists' } });
    expect(routeCopy.toAppError(new rootCopy.AppError('not_found')).status).toBe(404);
  });

  it('does not take a look-alike without the brand, or a branded object with an unknown code, for an AppError', async () => {
    const { routeCopy } = await twoBundles();
    const lookAlike = Object.assign(new Error('x'), { code: 'conflict' });
    expect(lookAlike instanceof routeCopy.AppError).toBe(false);
    expect(routeCopy.toAppError(lookAlike).status).toBe(500);
    const badCode = Object.assign(new Error('x'), { code: 'teapot', [Symbol.for('aethelred.app-error')]: true });
    expect(badCode instanceof routeCopy.AppError).toBe(false);
  });
});
