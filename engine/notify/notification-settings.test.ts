import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { parseNotificationSettings, redactNotificationSettings, withChannel, withoutChannel, withRouting, withStoredSecretsKept, type NotificationSettings } from './notification-settings';

const SETTINGS: NotificationSettings = {
  channels: [
    { id: 'ops', kind: 'slack', webhookUrl: 'https://hooks.slack.com/services/T0/B0/secret1234' },
    { id: 'tg', kind: 'telegram', botToken: '123456:ABC-def', chatId: '42' },
  ],
  routing: { halt: ['ops', 'tg'], fill: ['tg'] },
};

describe('withChannel', () => {
  it('adds a new channel at the end, leaving routing as it was', () => {
    const next = parseNotificationSettings(withChannel(SETTINGS, { id: 'hook', kind: 'webhook', url: 'https://example.org/h', secret: 'sixteen-chars-min!' }));
    expect(next.channels.map((c) => c.id)).toEqual(['ops', 'tg', 'hook']);
    expect(next.routing).toEqual(SETTINGS.routing);
  });

  it('keeps a stored secret the input leaves blank when the kind is unchanged', () => {
    const next = parseNotificationSettings(withChannel(SETTINGS, { id: 'tg', kind: 'telegram', botToken: '', chatId: '43' }));
    expect(next.channels[1]).toEqual({ id: 'tg', kind: 'telegram', botToken: '123456:ABC-def', chatId: '43' });
  });

  it("keeps a stored secret sent back exactly as a read masks it, and refuses any other masked-looking value naming the field", () => {
    const next = parseNotificationSettings(withChannel(SETTINGS, { id: 'ops', kind: 'slack', webhookUrl: 'https://hooks.slack.com/****1234' }));
    expect(next.channels[0]).toEqual(SETTINGS.channels[0]);
    expect(() => withChannel(SETTINGS, { id: 'ops', kind: 'slack', webhookUrl: 'https://hooks.slack.com/****9999' })).toThrow(
      'field "channels.0.webhookUrl" was "(redacted)": looks masked (contains "****") but is not what a read shows of the stored slack channel "ops": send the real value, or the masked value unchanged to keep the stored one',
    );
    expect(() => withChannel(SETTINGS, { id: 'new', kind: 'telegram', botToken: '****-def', chatId: '1' })).toThrow('field "channels.2.botToken" was "(redacted)": looks masked (contains "****") but no stored telegram channel has id "new"');
  });

  it('does not carry secrets over to a channel whose kind changed', () => {
    expect(() => parseNotificationSettings(withChannel(SETTINGS, { id: 'ops', kind: 'discord' }))).toThrow(ValidationError);
  });
});

describe('withStoredSecretsKept', () => {
  it('turns a masked read sent back unchanged into the stored settings, matching channels by id wherever they moved', () => {
    const masked = redactNotificationSettings(SETTINGS);
    expect(parseNotificationSettings(withStoredSecretsKept(SETTINGS, masked))).toEqual(SETTINGS);
    const reordered = { channels: [masked.channels[1], masked.channels[0]], routing: masked.routing };
    expect(parseNotificationSettings(withStoredSecretsKept(SETTINGS, reordered)).channels).toEqual([SETTINGS.channels[1], SETTINGS.channels[0]]);
  });

  it('refuses a masked value under an id with no stored channel of that kind, naming its index', () => {
    const masked = redactNotificationSettings(SETTINGS);
    const input = { channels: [...masked.channels, { id: 'ops2', kind: 'discord', webhookUrl: 'https://hooks.slack.com/****1234' }], routing: {} };
    expect(() => withStoredSecretsKept(SETTINGS, input)).toThrow('field "channels.2.webhookUrl" was "(redacted)": looks masked (contains "****") but no stored discord channel has id "ops2"');
  });
});

describe('withoutChannel', () => {
  it('removes the channel and every route to it', () => {
    expect(withoutChannel(SETTINGS, 'tg')).toEqual({ channels: [SETTINGS.channels[0]], routing: { halt: ['ops'] } });
  });

  it('refuses an unknown id naming it', () => {
    expect(() => withoutChannel(SETTINGS, 'nope')).toThrow('field "id" was "nope": no channel has this id');
  });
});

describe('withRouting', () => {
  it('replaces the routing and keeps the channels', () => {
    expect(withRouting(SETTINGS, { daily_summary: ['ops'] })).toEqual({ channels: SETTINGS.channels, routing: { daily_summary: ['ops'] } });
  });
});

describe('redactNotificationSettings', () => {
  it("masks a webhook channel's URL path and secret like the other kinds' webhook URLs", () => {
    const settings = parseNotificationSettings({ channels: [{ id: 'hook', kind: 'webhook', url: 'https://example.org/hooks?token=abcd1234', secret: 'sixteen-chars-min!' }] });
    expect(redactNotificationSettings(settings).channels).toEqual([{ id: 'hook', kind: 'webhook', url: 'https://example.org/****1234', secret: '****min!' }]);
  });

  it('never quotes a channel secret in a refusal: a list is named by its length, an object by its kind', () => {
    const secrets = ['123456:SECRET-bot-token', 'https://discord.example/api/webhooks/1/SECRET-path', 'SECRET-signing-secret-16+'];
    const channels = Array.from({ length: 51 }, (_, i) => ({ id: `hook-${i}`, kind: 'webhook', url: secrets[1], secret: secrets[2] }));
    const refusals: [unknown, string][] = [
      // Too many channels (51 > 50): the whole array, stored secrets merged in, was quoted.
      [{ channels }, 'field "channels" was "(a list of 51)": '],
      // A channel of an unknown kind: the whole channel object was quoted.
      [{ channels: [{ id: 'tg', kind: 'pager', botToken: secrets[0] }] }, 'field "channels.0.kind" was "pager": '],
      [{ channels: [{ id: 'tg', kind: 'telegram', botToken: secrets[0], chatId: { nested: secrets[2] } }] }, 'field "channels.0.chatId" was "(an object)": '],
      [{ channels: { tg: { kind: 'telegram', botToken: secrets[0] } } }, 'field "channels" was "(an object)": '],
      ['not settings', 'field "(settings)" was "not settings": '],
    ];
    for (const [input, start] of refusals) {
      let message = '';
      try {
        parseNotificationSettings(input);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message.startsWith(start), message).toBe(true);
      for (const secret of secrets) expect(message).not.toContain(secret);
    }
  });

  it('never echoes a webhook URL in a refusal', () => {
    expect(() => parseNotificationSettings({ channels: [{ id: 'hook', kind: 'webhook', url: 'ftp://token@host', secret: 'sixteen-chars-min!' }] })).toThrow('field "channels.0.url" was "(redacted)"');
  });
});
