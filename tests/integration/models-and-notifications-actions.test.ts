/**
 * The Models page's training action and the notifications page's actions through the gate, on a
 * PGlite root, with form posts as the browser sends them: training queues a ticket of the kind's job
 * with the parsed params through the engine's queue, refuses bad params naming the field and value,
 * and is closed to viewers; a saved channel reads back with its secrets masked, an edit with blank
 * secrets keeps them, routing is saved per event, and a test message reaches a loopback receiver
 * (or reports the receiver's error). GET /api/notifications then PUT of the same document keeps the real
 * secrets (the masked values sent back unchanged); any other masked-looking secret is refused naming the field.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GATE, gateMetaOf, type RouteGateMeta } from '../../app/_server/auth/gate';
import * as notificationsRoute from '../../app/api/notifications/route';
import { createNotificationSettingsRepository } from '../../db/repositories/notification-settings-repository';
import { setExchangeCredential } from '../../app/admin/actions';
import { removeNotificationChannel, saveNotificationChannel, saveNotificationRouting, sendTestNotification } from '../../app/admin/notifications/actions';
import { queueTraining } from '../../app/models/actions';
import { createAuthTestRoot, TEST_ORIGIN, type AuthTestRoot } from '../support/auth-test-root';
import { startFakeHttpService, type FakeHttpService } from '../support/fake-http-service';

const form = (fields: Record<string, string | string[]>) => {
  const data = new FormData();
  for (const [key, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) data.append(key, v);
  return data;
};

let app: AuthTestRoot | null = null;
let receiver: FakeHttpService | null = null;
afterEach(async () => {
  await app?.close();
  await receiver?.close();
  app = null;
  receiver = null;
});

async function setup() {
  app = await createAuthTestRoot();
  const headers = async (role: 'viewer' | 'trader' | 'admin') => new Headers({ cookie: (await app!.signedInAs(role)).cookie, origin: TEST_ORIGIN });
  return { app, viewer: await headers('viewer'), admin: await headers('admin'), trader: await headers('trader') };
}

const TRAIN_FORM = { kind: 'train-regime', exchange: 'binance', symbol: 'ETH/USDT', timeframe: '1h', from: '2024-01-01', to: '2024-03-01', horizon: '12', folds: '3', seed: '7', runId: '' };

describe('queueTraining', () => {
  it('queues a ticket of the model kind with the parsed params through the job queue', async () => {
    const { app, trader } = await setup();
    const result = await queueTraining[GATE].run(app.root, trader, form(TRAIN_FORM));
    expect(result).toEqual({ ok: true, data: { ticketId: expect.any(String), kind: 'train-regime' } });
    const ticket = await app.root.engine.getTicket((result as { data: { ticketId: string } }).data.ticketId);
    expect(ticket).toMatchObject({
      kind: 'train-regime',
      params: { exchange: 'binance', symbol: 'ETH/USDT', timeframe: '1h', from: '2024-01-01', to: '2024-03-01', horizon: 12, folds: 3, seed: 7, activate: false },
    });
    const audit = (await app.root.auth.audit.list({ limit: 5 })).items.find((e) => e.action === 'model.train');
    expect(audit).toMatchObject({ outcome: 'ok', target: `train-regime ${ticket!.id}` });
  });

  it('refuses bad params naming the field and the value, and queues nothing', async () => {
    const { app, trader } = await setup();
    const horizon = await queueTraining[GATE].run(app.root, trader, form({ ...TRAIN_FORM, horizon: '1' }));
    expect(horizon).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { horizon: [expect.stringContaining('field "horizon" was 1')] } } });
    const timeframe = await queueTraining[GATE].run(app.root, trader, form({ ...TRAIN_FORM, timeframe: '7m' }));
    expect(timeframe).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { timeframe: [expect.stringContaining('field "timeframe" was "7m": expected one of')] } } });
    const range = await queueTraining[GATE].run(app.root, trader, form({ ...TRAIN_FORM, to: '2023-12-01' }));
    expect(range).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { to: [expect.stringContaining('field "to" was "2023-12-01": the date range is empty')] } } });
    const folds = await queueTraining[GATE].run(app.root, trader, form({ ...TRAIN_FORM, folds: 'many' }));
    expect(folds).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { folds: [expect.stringContaining('field "folds" was "many"')] } } });
    const runId = await queueTraining[GATE].run(app.root, trader, form({ ...TRAIN_FORM, runId: 'run-1' }));
    expect(runId).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { runId: [expect.stringContaining('only intent-veto training')] } } });
    expect((await app.root.engine.listTickets({ limit: 10 })).items).toEqual([]);
  });

  it('answers 403 to a viewer, and to a trader asking to deploy the result, queueing nothing', async () => {
    const { app, viewer, trader, admin } = await setup();
    expect(await queueTraining[GATE].run(app.root, viewer, form(TRAIN_FORM))).toMatchObject({ ok: false, status: 403 });
    expect(await queueTraining[GATE].run(app.root, trader, form({ ...TRAIN_FORM, activate: 'on' }))).toMatchObject({ ok: false, status: 403, error: { message: expect.stringContaining('"admin" role') } });
    expect((await app.root.engine.listTickets({ limit: 10 })).items).toEqual([]);
    const deployed = await queueTraining[GATE].run(app.root, admin, form({ ...TRAIN_FORM, activate: 'on' }));
    expect(deployed).toMatchObject({ ok: true });
    expect((await app.root.engine.getTicket((deployed as { data: { ticketId: string } }).data.ticketId))?.params).toMatchObject({ activate: true });
  });
});

describe('notification actions', () => {
  const TOKEN_PATH = '/services/T000/B000/tokenvalue-XYZ9';

  it('saves a channel whose secret reads back masked, keeps it when an edit leaves it blank, routes events and delivers a test message', async () => {
    const { app, admin } = await setup();
    receiver = await startFakeHttpService({ status: 200, body: 'ok' });
    const saved = await saveNotificationChannel[GATE].run(app.root, admin, form({ id: 'ops', kind: 'slack', webhookUrl: `${receiver.origin}${TOKEN_PATH}`, url: '', secret: '', botToken: '', chatId: '', baseUrl: '' }));
    expect(saved).toEqual({ ok: true, data: { id: 'ops', kind: 'slack' } });
    const masked = app.root.notifications.redactedSettings();
    expect(masked.channels).toEqual([{ id: 'ops', kind: 'slack', webhookUrl: `${receiver.origin}/****XYZ9` }]);
    expect(JSON.stringify(masked)).not.toContain('tokenvalue');
    // Neither the answer nor the audit entry carries the secret.
    const entry = (await app.root.auth.audit.list({ limit: 5 })).items.find((e) => e.action === 'notifications.channel.save');
    expect(entry).toMatchObject({ outcome: 'ok', target: 'ops' });
    expect(JSON.stringify(entry)).not.toContain('tokenvalue');

    // An edit that leaves the URL blank keeps the stored one.
    expect(await saveNotificationChannel[GATE].run(app.root, admin, form({ id: 'ops', kind: 'slack', webhookUrl: '' }))).toMatchObject({ ok: true });
    expect(app.root.notifications.redactedSettings().channels).toEqual(masked.channels);

    expect(await saveNotificationRouting[GATE].run(app.root, admin, form({ halt: 'ops', job_failure: ['ops'] }))).toEqual({ ok: true, data: { routing: { halt: ['ops'], job_failure: ['ops'] } } });
    expect(app.root.notifications.redactedSettings().routing).toEqual({ halt: ['ops'], job_failure: ['ops'] });

    expect(await sendTestNotification[GATE].run(app.root, admin, { channelId: 'ops' })).toEqual({ ok: true, data: { delivered: true, error: null } });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]).toMatchObject({ method: 'POST', path: TOKEN_PATH });
    expect(JSON.parse(receiver.requests[0].body).text).toContain('test message from the notifications page');

    // Removing the channel drops its routes too.
    expect(await removeNotificationChannel[GATE].run(app.root, admin, { id: 'ops' })).toEqual({ ok: true, data: { id: 'ops' } });
    expect(app.root.notifications.redactedSettings()).toEqual({ channels: [], routing: {} });
  });

  it("reports the channel's error when the receiver refuses, without the secret", async () => {
    const { app, admin } = await setup();
    receiver = await startFakeHttpService({ status: 403, body: 'invalid_token' });
    await saveNotificationChannel[GATE].run(app.root, admin, form({ id: 'ops', kind: 'slack', webhookUrl: `${receiver.origin}${TOKEN_PATH}` }));
    const result = await sendTestNotification[GATE].run(app.root, admin, form({ channelId: 'ops' }));
    expect(result).toMatchObject({ ok: true, data: { delivered: false, error: expect.stringContaining('slack channel "ops"') } });
    expect(JSON.stringify(result)).toContain('403');
    expect(JSON.stringify(result)).not.toContain('tokenvalue');
  });

  it('never quotes a secret field when refusing text the database cannot store; a plain field is still quoted', async () => {
    const { app, admin } = await setup();
    const cases: [unknown, Record<string, string>, string][] = [
      [saveNotificationChannel, { id: 'hook', kind: 'webhook', url: 'http://127.0.0.1:9/x', secret: 'SECRET-signing-value\u0000' }, 'secret'],
      [saveNotificationChannel, { id: 'tg', kind: 'telegram', botToken: '123456:SECRET-bot\u0000', chatId: '1' }, 'botToken'],
      [saveNotificationChannel, { id: 'ops', kind: 'slack', webhookUrl: 'https://hooks.example/SECRET-path\u0000' }, 'webhookUrl'],
      [setExchangeCredential, { exchange: 'binance', apiKey: 'SECRET-api-key\u0000', secret: 'SECRET-api-secret' }, 'apiKey'],
      [setExchangeCredential, { exchange: 'binance', apiKey: 'key-1234', secret: 'SECRET-api-secret', password: 'SECRET-pass\u0000' }, 'password'],
    ];
    for (const [act, fields, field] of cases) {
      const result = await (act as typeof saveNotificationChannel)[GATE].run(app.root, admin, form(fields));
      expect(result).toMatchObject({
        ok: false,
        status: 400,
        error: { message: `parameter "${field}" was "(redacted)": contains the NUL character (U+0000), which the database cannot store` },
      });
      expect(JSON.stringify(result)).not.toContain('SECRET');
    }
    const plain = await saveNotificationChannel[GATE].run(app.root, admin, form({ id: 'tg', kind: 'telegram', botToken: '123456:SECRET-bot', chatId: 'chat\u0000' }));
    expect(plain).toMatchObject({ ok: false, status: 400, error: { message: 'parameter "chatId" was "chat\\u0000": contains the NUL character (U+0000), which the database cannot store' } });
    expect(JSON.stringify(plain)).not.toContain('SECRET');
  });

  it('names the form field of a bad channel value and an unknown routed channel, changing nothing', async () => {
    const { app, admin, trader } = await setup();
    const badUrl = await saveNotificationChannel[GATE].run(app.root, admin, form({ id: 'ops', kind: 'slack', webhookUrl: 'not a url' }));
    expect(badUrl).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { webhookUrl: [expect.stringContaining('expected an http(s) URL')] } } });
    const badId = await saveNotificationChannel[GATE].run(app.root, admin, form({ id: 'Ops!', kind: 'webhook', url: 'http://127.0.0.1:9/x', secret: 'a-secret-of-sixteen+' }));
    expect(badId).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { id: ['field "id" was "Ops!": expected 1-63 lower-case letters, digits, "-" or "_"'] } } });
    const shortSecret = await saveNotificationChannel[GATE].run(app.root, admin, form({ id: 'hook', kind: 'webhook', url: 'http://127.0.0.1:9/x', secret: 'short' }));
    expect(shortSecret).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { secret: [expect.stringContaining('(redacted)')] } } });
    const route = await saveNotificationRouting[GATE].run(app.root, admin, form({ fill: 'nobody' }));
    expect(route).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { 'routing.fill.0': [expect.stringContaining('"nobody": no channel has this id')] } } });
    expect(app.root.notifications.redactedSettings()).toEqual({ channels: [], routing: {} });
    expect(await saveNotificationChannel[GATE].run(app.root, trader, form({ id: 'ops', kind: 'slack', webhookUrl: 'http://127.0.0.1:9/x' }))).toMatchObject({ ok: false, status: 403 });
  });
});

describe('GET then PUT /api/notifications', () => {
  const DISCORD_URL = 'https://discord.com/api/webhooks/1234567890/SECRET-discord-token-abcd';
  const SLACK_URL = 'https://hooks.slack.com/services/T0/B0/SECRET-slack-wxyz';
  const BOT_TOKEN = '987654:SECRET-bot-token_tg12';
  const HOOK_SECRET = 'SECRET-signing-secret-of-32-chars';
  const STORED = {
    channels: [
      { id: 'alerts', kind: 'discord', webhookUrl: DISCORD_URL },
      { id: 'ops', kind: 'slack', webhookUrl: SLACK_URL },
      { id: 'desk', kind: 'telegram', botToken: BOT_TOKEN, chatId: '-100123' },
      { id: 'audit', kind: 'webhook', url: 'https://example.com/hooks/aethelred?token=SECRET-q9', secret: HOOK_SECRET },
    ],
    routing: { halt: ['alerts', 'ops', 'desk', 'audit'] },
  };
  const MASKED = {
    channels: [
      { id: 'alerts', kind: 'discord', webhookUrl: 'https://discord.com/****abcd' },
      { id: 'ops', kind: 'slack', webhookUrl: 'https://hooks.slack.com/****wxyz' },
      { id: 'desk', kind: 'telegram', botToken: '****tg12', chatId: '-100123' },
      { id: 'audit', kind: 'webhook', url: 'https://example.com/****T-q9', secret: '****hars' },
    ],
    routing: { halt: ['alerts', 'ops', 'desk', 'audit'] },
  };

  async function api(app: AuthTestRoot, cookie: string) {
    const call = async (handler: unknown, method: string, body?: unknown) => {
      const response = await (gateMetaOf(handler as typeof notificationsRoute.GET) as RouteGateMeta).run(
        app.root,
        new Request(`${TEST_ORIGIN}/api/notifications`, { method, headers: { cookie, origin: TEST_ORIGIN, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }),
        {},
      );
      return { status: response.status, body: (await response.json()) as unknown };
    };
    return { get: () => call(notificationsRoute.GET, 'GET'), put: (body: unknown) => call(notificationsRoute.PUT, 'PUT', body) };
  }
  const storedOf = (app: AuthTestRoot) => createNotificationSettingsRepository(app.root.database.db, { cipher: app.root.auth.secretBox, nowMs: () => Date.now() }).load();

  it('keeps every stored secret when the masked GET is sent back unchanged, and applies the other edits', async () => {
    const { app } = await setup();
    const { cookie } = await app.signedInAs('admin');
    const { get, put } = await api(app, cookie);
    expect(await put(STORED)).toEqual({ status: 200, body: MASKED });
    const read = await get();
    expect(read).toEqual({ status: 200, body: MASKED });

    // Sent back as read: nothing changes, the real URLs and secrets stay.
    expect(await put(read.body)).toEqual({ status: 200, body: MASKED });
    expect(await storedOf(app)).toEqual(STORED);

    // Sent back with a routing edit and a renamed chat: those apply, the secrets stay.
    const edited = structuredClone(MASKED);
    edited.channels[2].chatId = '-100999';
    edited.routing = { halt: ['alerts'] } as typeof MASKED.routing;
    expect((await put(edited)).status).toBe(200);
    expect(await storedOf(app)).toEqual({ channels: [STORED.channels[0], STORED.channels[1], { ...STORED.channels[2], chatId: '-100999' }, STORED.channels[3]], routing: { halt: ['alerts'] } });
    expect(await get()).toEqual({ status: 200, body: { ...edited, routing: { halt: ['alerts'] } } });
  });

  it('refuses a masked-looking secret that is not the stored channel\'s mask, naming the field, and changes nothing', async () => {
    const { app } = await setup();
    const { cookie } = await app.signedInAs('admin');
    const { put } = await api(app, cookie);
    expect((await put(STORED)).status).toBe(200);
    const hint = 'send the real value, or the masked value unchanged to keep the stored one';

    // A new channel carrying a masked value (copied from another channel): nothing stored to keep.
    const newChannel = await put({ ...MASKED, channels: [...MASKED.channels, { id: 'ops2', kind: 'discord', webhookUrl: 'https://discord.com/****abcd' }] });
    const newMessage = `field "channels.4.webhookUrl" was "(redacted)": looks masked (contains "****") but no stored discord channel has id "ops2" to keep it from: ${hint}`;
    expect(newChannel).toEqual({ status: 400, body: { error: { code: 'bad_request:input', message: newMessage, fieldErrors: { 'channels.4.webhookUrl': [newMessage] } } } });

    // A stored channel whose masked value was altered (another last four).
    const altered = structuredClone(MASKED);
    altered.channels[1].webhookUrl = 'https://hooks.slack.com/****zzzz';
    const alteredMessage = `field "channels.1.webhookUrl" was "(redacted)": looks masked (contains "****") but is not what a read shows of the stored slack channel "ops": ${hint}`;
    expect(await put(altered)).toEqual({ status: 400, body: { error: { code: 'bad_request:input', message: alteredMessage, fieldErrors: { 'channels.1.webhookUrl': [alteredMessage] } } } });

    // A stored channel sent back under another kind: its mask keeps nothing.
    const rekinded = structuredClone(MASKED) as { channels: Record<string, unknown>[]; routing: unknown };
    rekinded.channels[0] = { id: 'alerts', kind: 'slack', webhookUrl: 'https://discord.com/****abcd' };
    expect(await put(rekinded)).toMatchObject({ status: 400, body: { error: { fieldErrors: { 'channels.0.webhookUrl': [expect.stringContaining('no stored slack channel has id "alerts"')] } } } });

    expect(await storedOf(app)).toEqual(STORED);
  });

  it('refuses a masked value pasted into the channel form for a new channel, naming the form field', async () => {
    const { app, admin } = await setup();
    const result = await saveNotificationChannel[GATE].run(app.root, admin, form({ id: 'ops', kind: 'slack', webhookUrl: 'https://hooks.slack.com/****wxyz' }));
    expect(result).toMatchObject({ ok: false, status: 400, error: { fieldErrors: { webhookUrl: [expect.stringContaining('looks masked (contains "****") but no stored slack channel has id "ops"')] } } });
    expect(await storedOf(app)).toEqual({ channels: [], routing: {} });
  });
});
