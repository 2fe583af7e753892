import { describe, expect, it } from 'vitest';
import { isSecretFieldName, isSecretFieldPath } from './secret-names';

describe('secret field names', () => {
  it('names a field secret when its name contains a secret key (any case) or ends in "url"', () => {
    for (const name of ['apiKey', 'secret', 'apiSecret', 'password', 'newPassword', 'currentPassword', 'token', 'botToken', 'webhookUrl', 'url', 'signingSecret', 'AUTHORIZATION'])
      expect(isSecretFieldName(name), name).toBe(true);
    for (const name of ['symbol', 'strategy', 'name', 'exchange', 'chatId', 'kind', 'id', '0']) expect(isSecretFieldName(name), name).toBe(false);
  });

  it('names a path secret when any segment is', () => {
    expect(isSecretFieldPath('channels.0.botToken')).toBe(true);
    expect(isSecretFieldPath(['credentials', 'secret', '0'])).toBe(true);
    expect(isSecretFieldPath(['params', 'symbol'])).toBe(false);
  });
});
