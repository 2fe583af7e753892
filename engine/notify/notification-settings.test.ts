import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors';
import { parseNotificationSettings, redactNotificationSettings, withChannel, withoutChannel, withRouting, type NotificationSettings } from './notification-settings';

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

  it('does not carry secrets over to a channel whose kind changed', () => {
    expect(() => parseNotificationSettings(withChannel(SETTINGS, { id: 'ops', kind: 'discord' }))).toThrow(ValidationError);
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
