import { describe, expect, it } from 'vitest';
import { labelOfKey } from './action-form';

describe('labelOfKey', () => {
  it('turns a returned camelCase field into words for its label', () => {
    expect(labelOfKey('temporaryPassword')).toBe('Temporary password');
    expect(labelOfKey('sessionsRevoked')).toBe('Sessions revoked');
    expect(labelOfKey('token')).toBe('Token');
    expect(labelOfKey('keyIdLast4')).toBe('Key id last4');
  });
});
