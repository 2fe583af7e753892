/**
 * Notification channels and the notifier against local HTTP servers on 127.0.0.1 that answer
 * like the real services: Telegram `{"ok":true,...}`, Discord 204, Slack 200 "ok", a webhook 2xx;
 * plus 429 with Retry-After, 500s, a refusal, and a service that never answers.
 */
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../engine/core/clock';
import { ValidationError } from '../../engine/core/errors';
import type { Logger } from '../../engine/core/logger';
import { createChannel } from '../../engine/notify/channels/create-channel';
import { verifyWebhookSignature } from '../../engine/notify/channels/webhook-channel';
import { ChannelDeliveryError, type ChannelDeps, type NotificationChannel } from '../../engine/notify/notification-channel';
import type { NotificationEvent } from '../../engine/ports/notifier';
import { parseNotificationSettings, redactNotificationSettings, type ChannelConfig, type NotificationRouting } from '../../engine/notify/notification-settings';
import { createNotifier, type NotifierConfig, type NotifierWorker } from '../../engine/notify/notifier';
import { startFakeHttpService, type FakeHttpService } from '../support/fake-http-service';

/** 2024-01-01T12:00:00Z = Unix 1704110400. */
const T = Date.UTC(2024, 0, 1, 12);
const FILL: NotificationEvent = { kind: 'fill', timeMs: T, symbol: 'BTC/USDT', side: 'buy', amount: 0.5, price: 42_000, orderId: 'o-1', purpose: 'entry' };
const FILL_TEXT = '[Aethelred] fill: buy 0.5 BTC/USDT at 42000 (entry, order "o-1") at 2024-01-01T12:00:00.000Z';
const DENIAL: NotificationEvent = { kind: 'denial', timeMs: T, symbol: 'ETH/USDT', code: 'risk_limit:open_positions', reason: 'open positions 3 > 2' };
const DENIAL_TEXT = '[Aethelred] denied ETH/USDT (risk_limit:open_positions): open positions 3 > 2 at 2024-01-01T12:00:00.000Z';
const HALT: NotificationEvent = { kind: 'halt', timeMs: T, reason: 'manual: maintenance' };
const JOB_FAILURE: NotificationEvent = { kind: 'job_failure', timeMs: T, ticketId: 't-1', jobKind: 'backtest', attempt: 1, error: 'boom', final: true };
const TG_TOKEN = '123456:ABC-def';
const WEBHOOK_SECRET = 'a-webhook-secret-of-32-characters';

function recordingLogger() {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

const TEST_CONFIG: NotifierConfig = {
  queueCapacity: 100,
  maxAttempts: 4,
  backoff: { baseMs: 1_000, capMs: 30_000, jitterRatio: 0.2 },
  maxRetryAfterMs: 60_000,
  stopTimeoutMs: 2_000,
};

let tg: FakeHttpService;
let discord: FakeHttpService;
let slack: FakeHttpService;
let hook: FakeHttpService;

beforeAll(async () => {
  tg = await startFakeHttpService({ status: 200, body: '{"ok":true,"result":{"message_id":1}}', headers: { 'content-type': 'application/json' } });
  discord = await startFakeHttpService({ status: 204 });
  slack = await startFakeHttpService({ status: 200, body: 'ok', headers: { 'content-type': 'text/plain' } });
  hook = await startFakeHttpService({ status: 200, body: '' });
});
afterAll(async () => {
  await Promise.all([tg.close(), discord.close(), slack.close(), hook.close()]);
});
afterEach(() => {
  for (const service of [tg, discord, slack, hook]) service.requests.length = 0;
});

function configs(): ChannelConfig[] {
  return [
    { id: 'tg', kind: 'telegram', botToken: TG_TOKEN, chatId: '-10042', baseUrl: tg.origin },
    { id: 'discord', kind: 'discord', webhookUrl: `${discord.origin}/api/webhooks/1/abc` },
    { id: 'slack', kind: 'slack', webhookUrl: `${slack.origin}/services/T0/B0/XYZ` },
    { id: 'hook', kind: 'webhook', url: `${hook.origin}/aethelred/events`, secret: WEBHOOK_SECRET },
  ];
}

interface Harness {
  notifier: NotifierWorker;
  delays: number[];
  lines: ReturnType<typeof recordingLogger>['lines'];
}

function harness(routing: NotificationRouting, options: { config?: Partial<NotifierConfig>; channels?: NotificationChannel[]; timeoutMs?: number } = {}): Harness {
  const clock = createManualClock(T);
  const deps: ChannelDeps = { fetch: globalThis.fetch, clock, timeoutMs: options.timeoutMs ?? 2_000 };
  const { logger, lines } = recordingLogger();
  const delays: number[] = [];
  const notifier = createNotifier(
    {
      channels: options.channels ?? configs().map((c) => createChannel(c, deps)),
      routing,
      clock,
      logger,
      sleep: async (ms) => void delays.push(ms),
      random: () => 0.5,
    },
    { ...TEST_CONFIG, ...options.config },
  );
  return { notifier, delays, lines };
}

async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('channel request shapes', () => {
  it('sends Telegram a POST to /bot<token>/sendMessage with chat_id and text', async () => {
    const { notifier } = harness({ fill: ['tg'] });
    notifier.start();
    notifier.notify(FILL);
    await notifier.whenIdle();
    expect(tg.requests).toHaveLength(1);
    const [request] = tg.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/bot123456:ABC-def/sendMessage');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({ chat_id: '-10042', text: FILL_TEXT });
    expect(notifier.stats()).toEqual({ queued: 0, sent: 1, failed: 0, dropped: 0 });
    await notifier.stop();
  });

  it('sends Discord {content} to the webhook URL and accepts its 204', async () => {
    const { notifier } = harness({ fill: ['discord'] });
    notifier.start();
    notifier.notify(FILL);
    await notifier.whenIdle();
    expect(discord.requests.map((r) => [r.method, r.path, r.headers['content-type']])).toEqual([['POST', '/api/webhooks/1/abc', 'application/json']]);
    expect(JSON.parse(discord.requests[0].body)).toEqual({ content: FILL_TEXT });
    expect(notifier.stats().sent).toBe(1);
    await notifier.stop();
  });

  it('sends Slack {text} to the incoming webhook URL and accepts "ok"', async () => {
    const { notifier } = harness({ denial: ['slack'] });
    notifier.start();
    notifier.notify(DENIAL);
    await notifier.whenIdle();
    expect(slack.requests.map((r) => [r.method, r.path])).toEqual([['POST', '/services/T0/B0/XYZ']]);
    expect(JSON.parse(slack.requests[0].body)).toEqual({ text: DENIAL_TEXT });
    expect(notifier.stats().sent).toBe(1);
    await notifier.stop();
  });

  it('signs the generic webhook body with HMAC-SHA256 over "<timestamp>.<body>"', async () => {
    const { notifier } = harness({ fill: ['hook'] });
    notifier.start();
    notifier.notify(FILL);
    await notifier.whenIdle();
    const [request] = hook.requests;
    expect(request.path).toBe('/aethelred/events');
    expect(request.headers['x-aethelred-timestamp']).toBe('1704110400');
    const expected = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(`1704110400.${request.body}`).digest('hex')}`;
    expect(request.headers['x-aethelred-signature']).toBe(expected);
    expect(JSON.parse(request.body)).toEqual({ event: FILL, text: FILL_TEXT });
    await notifier.stop();
  });

  it('verifies a genuine webhook signature and rejects a tampered body, a wrong secret and a stale timestamp', async () => {
    const { notifier } = harness({ fill: ['hook'] });
    notifier.start();
    notifier.notify(FILL);
    await notifier.whenIdle();
    const [request] = hook.requests;
    const base = {
      secret: WEBHOOK_SECRET,
      timestamp: request.headers['x-aethelred-timestamp'] as string,
      body: request.body,
      signature: request.headers['x-aethelred-signature'] as string,
      nowMs: T + 60_000,
    };
    expect(verifyWebhookSignature(base)).toBe(true);
    expect(verifyWebhookSignature({ ...base, body: base.body.replace('42000', '42001') })).toBe(false);
    expect(verifyWebhookSignature({ ...base, secret: 'another-secret-of-enough-length' })).toBe(false);
    expect(verifyWebhookSignature({ ...base, nowMs: T + 301_000 })).toBe(false);
    expect(verifyWebhookSignature({ ...base, signature: null })).toBe(false);
    await notifier.stop();
  });
});

describe('retries', () => {
  it('waits the Retry-After of a 429 (2 s > the 1 s backoff) and then delivers', async () => {
    const { notifier, delays } = harness({ denial: ['slack'] });
    slack.script({ status: 429, body: 'rate_limited', headers: { 'retry-after': '2' } });
    notifier.start();
    notifier.notify(DENIAL);
    await notifier.whenIdle();
    expect(slack.requests).toHaveLength(2);
    expect(delays).toEqual([2_000]);
    expect(notifier.stats()).toEqual({ queued: 0, sent: 1, failed: 0, dropped: 0 });
    await notifier.stop();
  });

  it('honours Discord\'s retry_after body field in seconds (3.5 s)', async () => {
    const { notifier, delays } = harness({ fill: ['discord'] });
    discord.script({ status: 429, body: '{"message":"You are being rate limited.","retry_after":3.5,"global":false}', headers: { 'content-type': 'application/json' } });
    notifier.start();
    notifier.notify(FILL);
    await notifier.whenIdle();
    expect(discord.requests).toHaveLength(2);
    expect(delays).toEqual([3_500]);
    await notifier.stop();
  });

  it('retries 500s with exponential backoff (1 s, then 2 s) and then delivers', async () => {
    const { notifier, delays } = harness({ fill: ['tg'] });
    tg.script({ status: 500, body: 'oops' }, { status: 502, body: 'bad gateway' });
    notifier.start();
    notifier.notify(FILL);
    await notifier.whenIdle();
    expect(tg.requests).toHaveLength(3);
    expect(delays).toEqual([1_000, 2_000]);
    expect(notifier.stats().sent).toBe(1);
    await notifier.stop();
  });

  it('drops a notification after 4 failed attempts with an error log', async () => {
    const { notifier, delays, lines } = harness({ fill: ['hook'] });
    hook.script({ status: 500 }, { status: 500 }, { status: 503 }, { status: 500 });
    notifier.start();
    notifier.notify(FILL);
    await notifier.whenIdle();
    expect(hook.requests).toHaveLength(4);
    expect(delays).toEqual([1_000, 2_000, 4_000]);
    expect(notifier.stats()).toEqual({ queued: 0, sent: 0, failed: 1, dropped: 0 });
    const error = lines.find((l) => l.level === 'error');
    expect(error?.msg).toBe('notification dropped after a failed delivery');
    expect(error?.obj).toMatchObject({ channel: 'hook', kind: 'fill', attempts: 4, error: 'webhook channel "hook": HTTP 500' });
    await notifier.stop();
  });

  it('does not retry a 400 or a Telegram {"ok":false}, and never logs the bot token', async () => {
    const { notifier, delays, lines } = harness({ fill: ['tg', 'slack'] });
    tg.script({ status: 200, body: '{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}' });
    slack.script({ status: 400, body: 'invalid_payload' });
    notifier.start();
    notifier.notify(FILL);
    await notifier.whenIdle();
    expect(tg.requests).toHaveLength(1);
    expect(slack.requests).toHaveLength(1);
    expect(delays).toEqual([]);
    expect(notifier.stats().failed).toBe(2);
    expect(JSON.stringify(lines)).not.toContain('ABC-def');
    await notifier.stop();
  });
});

describe('isolation and routing', () => {
  it('returns from notify at once and delivers to other channels while one channel never answers', async () => {
    const { notifier } = harness({ fill: ['discord', 'slack'] }, { timeoutMs: 300, config: { maxAttempts: 2 } });
    discord.script({ status: 0, hang: true }, { status: 0, hang: true });
    notifier.start();
    const before = performance.now();
    notifier.notify(FILL);
    expect(performance.now() - before).toBeLessThan(20);
    await until(() => slack.requests.length === 1 && notifier.stats().sent === 1);
    expect(notifier.stats().failed).toBe(0); // discord is still waiting for its answer
    await notifier.whenIdle();
    expect(discord.requests).toHaveLength(2);
    expect(notifier.stats()).toEqual({ queued: 0, sent: 1, failed: 1, dropped: 0 });
    await notifier.stop();
  });

  it('survives a channel that throws something other than a delivery error', async () => {
    const broken: NotificationChannel = {
      id: 'broken',
      kind: 'webhook',
      send: () => {
        throw new TypeError('bug in a channel');
      },
    };
    const { notifier, delays } = harness({ halt: ['broken'] }, { channels: [broken] });
    notifier.start();
    expect(() => notifier.notify(HALT)).not.toThrow();
    await notifier.whenIdle();
    expect(delays).toEqual([]);
    expect(notifier.stats().failed).toBe(1);
    await notifier.stop();
  });

  it('sends each kind only to the channels routed for it', async () => {
    const { notifier } = harness({ fill: ['tg'], denial: ['slack', 'hook'], halt: [] });
    notifier.start();
    notifier.notify(FILL);
    notifier.notify(DENIAL);
    notifier.notify(HALT);
    notifier.notify(JOB_FAILURE);
    await notifier.whenIdle();
    expect(JSON.parse(tg.requests[0].body).text).toBe(FILL_TEXT);
    expect(tg.requests).toHaveLength(1);
    expect(slack.requests.map((r) => JSON.parse(r.body).text)).toEqual([DENIAL_TEXT]);
    expect(hook.requests.map((r) => JSON.parse(r.body).event.kind)).toEqual(['denial']);
    expect(discord.requests).toHaveLength(0);
    await notifier.stop();
  });

  it('drops the oldest notification when a channel queue is full and counts it', async () => {
    const { notifier, lines } = harness({ fill: ['slack'] }, { config: { queueCapacity: 2 } });
    const fills = [1, 2, 3].map((n) => ({ ...FILL, orderId: `o-${n}` }));
    for (const fill of fills) notifier.notify(fill);
    expect(notifier.stats()).toEqual({ queued: 2, sent: 0, failed: 0, dropped: 1 });
    expect(lines.filter((l) => l.msg === 'notification queue full: dropped the oldest')).toHaveLength(1);
    notifier.start();
    await notifier.whenIdle();
    expect(slack.requests.map((r) => (JSON.parse(r.body).text as string).match(/order "(o-\d)"/)?.[1])).toEqual(['o-2', 'o-3']);
    await notifier.stop();
  });

  it('applies new channels and routing without a restart', async () => {
    const { notifier } = harness({ fill: ['tg'] });
    notifier.start();
    const deps: ChannelDeps = { fetch: globalThis.fetch, clock: createManualClock(T) };
    notifier.configure([createChannel(configs()[2], deps)], { fill: ['slack'] });
    notifier.notify(FILL);
    await notifier.whenIdle();
    expect(tg.requests).toHaveLength(0);
    expect(slack.requests).toHaveLength(1);
    await notifier.stop();
  });
});

describe('notification settings', () => {
  it('names the field of a route to an unknown channel', () => {
    expect(() => parseNotificationSettings({ channels: [], routing: { fill: ['nobody'] } })).toThrow(
      new ValidationError('routing.fill.0', 'nobody', 'no channel has this id'),
    );
  });

  it('names the field of a bad webhook URL without echoing it', () => {
    const error = (() => {
      try {
        parseNotificationSettings({ channels: [{ id: 'ops', kind: 'slack', webhookUrl: 'not a url' }], routing: {} });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('channels.0.webhookUrl');
    expect((error as ValidationError).message).toBe('field "channels.0.webhookUrl" was "(redacted)": expected an http(s) URL');
  });

  it('rejects duplicate channel ids', () => {
    const slackChannel = { id: 'ops', kind: 'slack', webhookUrl: 'https://hooks.slack.com/services/T/B/X' };
    expect(() => parseNotificationSettings({ channels: [slackChannel, slackChannel], routing: {} })).toThrow('field "channels.1.id" was "ops": duplicate channel id');
  });

  it('masks tokens, secrets and webhook paths for display', () => {
    const settings = parseNotificationSettings({ channels: configs().map((c) => ({ ...c, baseUrl: undefined })), routing: { fill: ['tg'] } });
    const shown = JSON.stringify(redactNotificationSettings(settings));
    expect(shown).not.toContain('ABC-def');
    expect(shown).not.toContain(WEBHOOK_SECRET);
    expect(shown).not.toContain('/services/T0/B0/XYZ');
    expect(redactNotificationSettings(settings).channels[0]).toMatchObject({ botToken: '****-def' });
  });
});

describe('ChannelDeliveryError', () => {
  it('classifies 429 and 5xx as retryable and 4xx as final', async () => {
    const deps: ChannelDeps = { fetch: globalThis.fetch, clock: createManualClock(T) };
    const channel = createChannel(configs()[2], deps);
    const outcomes: [boolean, number | null][] = [];
    for (const status of [429, 500, 404]) {
      slack.script({ status });
      const error = await channel.send(FILL).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(ChannelDeliveryError);
      outcomes.push([(error as ChannelDeliveryError).retryable, (error as ChannelDeliveryError).status]);
    }
    expect(outcomes).toEqual([
      [true, 429],
      [true, 500],
      [false, 404],
    ]);
  });
});
