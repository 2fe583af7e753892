/**
 * The Models page's training action and the notifications page's actions through the gate, on a
 * PGlite root, with form posts as the browser sends them: training queues a ticket of the kind's job
 * with the parsed params through the engine's queue, refuses bad params naming the field and value,
 * and is closed to viewers; a saved channel reads back with its secrets masked, an edit with blank
 * secrets keeps them, routing is saved per event, and a test message reaches a loopback receiver
 * (or reports the receiver's error).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GATE } from '../../app/_server/auth/gate';
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
