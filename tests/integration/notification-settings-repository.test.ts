/**
 * Notification settings in the database (PGlite and real PostgreSQL): a save/load round trip, the
 * stored row encrypted with the secret box (no bot token, webhook URL or secret in plain text), a
 * wrong key refused with a named error, and the one-time import of an older version's settings file.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../app/_server/auth/secret-box';
import { loadConfig } from '../../app/_server/config';
import { buildRoot } from '../../app/_server/root';
import { importNotificationSettingsFile, NOTIFICATION_SETTINGS_FILE } from '../../app/_server/notify/import-notification-settings-file';
import { createNotificationService } from '../../app/_server/notify/notification-service';
import type { Database } from '../../db/client';
import { createNotificationSettingsRepository } from '../../db/repositories/notification-settings-repository';
import { notificationSettings } from '../../db/schema';
import { ValidationError } from '../../engine/core/errors';
import { parseNotificationSettings, redactNotificationSettings, withChannel, withRouting } from '../../engine/notify/notification-settings';
import type { Logger } from '../../engine/core/logger';
import { TEST_DATABASE_BACKENDS } from '../support/ml-databases';

const T0 = Date.UTC(2024, 0, 1);
const BOT_TOKEN = '987654:SECRET-telegram-token_xyz';
const WEBHOOK_SECRET = 'hmac-secret-of-at-least-32-chars!';
const SLACK_URL = 'https://hooks.slack.com/services/T0/B0/slack-path-secret';

/** Settings as an admin would PUT them (chatId as a number; the parser stores it as a string). */
const INPUT = {
  channels: [
    { id: 'desk', kind: 'telegram', botToken: BOT_TOKEN, chatId: -100123 },
    { id: 'ops', kind: 'slack', webhookUrl: SLACK_URL },
    { id: 'audit', kind: 'webhook', url: 'https://example.com/hooks/aethelred', secret: WEBHOOK_SECRET },
  ],
  routing: { fill: ['desk'], halt: ['desk', 'ops', 'audit'] },
};
const STORED = {
  channels: [
    { id: 'desk', kind: 'telegram', botToken: BOT_TOKEN, chatId: '-100123' },
    { id: 'ops', kind: 'slack', webhookUrl: SLACK_URL },
    { id: 'audit', kind: 'webhook', url: 'https://example.com/hooks/aethelred', secret: WEBHOOK_SECRET },
  ],
  routing: { fill: ['desk'], halt: ['desk', 'ops', 'audit'] },
};

function recordingLogger() {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

describe.each(TEST_DATABASE_BACKENDS)('notification settings in the database on $name', (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  const box = createSecretBox(randomBytes(32));
  let nowMs = T0;
  const repository = () => createNotificationSettingsRepository(database.db, { cipher: box, nowMs: () => nowMs });
  const storedRows = () => database.db.select().from(notificationSettings);
  let dir: string;

  beforeAll(async () => {
    ({ database, dispose } = await backend.open());
  });
  afterAll(async () => {
    await dispose();
  });
  beforeEach(async () => {
    await database.db.execute(sql`delete from notification_settings`);
    nowMs = T0;
    dir = mkdtempSync(path.join(tmpdir(), 'aethelred-notify-import-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads empty settings before any save, then returns what was saved', async () => {
    const repo = repository();
    expect(await repo.exists()).toBe(false);
    expect(await repo.load()).toEqual({ channels: [], routing: {} });
    expect(await repo.save(INPUT)).toEqual(STORED);
    expect(await repo.load()).toEqual(STORED);
    // Another server of the same database sees the same settings.
    expect(await createNotificationSettingsRepository(database.db, { cipher: box, nowMs: () => T0 }).load()).toEqual(STORED);
    expect(await repo.exists()).toBe(true);
  });

  it('replaces the one row on the next save', async () => {
    const repo = repository();
    await repo.save(INPUT);
    nowMs = T0 + 60_000;
    const next = { channels: [INPUT.channels[1]], routing: { denial: ['ops'] } };
    expect(await repo.save(next)).toEqual(next);
    expect(await repo.load()).toEqual(next);
    const rows = await storedRows();
    expect(rows.map((r) => [r.id, r.updatedAtMs])).toEqual([['default', T0 + 60_000]]);
  });

  it("lets a server pick up another server's edit: refresh reloads only when the stored change time moved", async () => {
    const silent = recordingLogger().logger;
    const clock = { nowMs: () => nowMs };
    const serverA = await createNotificationService({ store: repository(), clock, logger: silent });
    const other = recordingLogger();
    const serverB = await createNotificationService({ store: repository(), clock, logger: other.logger });
    expect(await repository().savedAtMs()).toBeNull();
    expect(await serverB.refresh()).toBe(false);

    nowMs = T0 + 5_000;
    await serverA.update(INPUT);
    expect(await repository().savedAtMs()).toBe(T0 + 5_000);
    expect(await serverA.refresh()).toBe(false); // its own save
    expect(serverB.redactedSettings().channels).toEqual([]);
    expect(await serverB.refresh()).toBe(true);
    expect(serverB.redactedSettings()).toEqual(serverA.redactedSettings());
    expect(serverB.redactedSettings().channels.map((c) => c.id)).toEqual(['desk', 'ops', 'audit']);
    expect(other.lines.some((l) => l.msg === 'notification settings changed on another server: reloaded')).toBe(true);
    expect(await serverB.refresh()).toBe(false); // nothing new since
  });

  it("applies an edit to the stored settings, not the server's copy: a channel another server added moments ago is kept and read back", async () => {
    const clock = { nowMs: () => nowMs };
    const silent = recordingLogger().logger;
    nowMs = T0 + 1_000;
    await repository().save(INPUT);
    // Both servers load the settings; their watchers (30 s) have not run since.
    const serverA = await createNotificationService({ store: repository(), clock, logger: silent });
    const serverB = await createNotificationService({ store: repository(), clock, logger: silent });

    nowMs = T0 + 5_000;
    await serverA.edit((current) => withChannel(current, { id: 'x', kind: 'discord', webhookUrl: 'https://discord.com/api/webhooks/9/x-token-1234' }));
    expect(serverB.redactedSettings().channels.map((c) => c.id)).toEqual(['desk', 'ops', 'audit']); // B's copy predates X

    nowMs = T0 + 10_000;
    const after = await serverB.edit((current) => withRouting(current, { denial: ['ops'] }));
    const expected = parseNotificationSettings({ channels: [...STORED.channels, { id: 'x', kind: 'discord', webhookUrl: 'https://discord.com/api/webhooks/9/x-token-1234' }], routing: { denial: ['ops'] } });
    expect(await repository().load()).toEqual(expected);
    expect(after).toEqual(redactNotificationSettings(expected));
    // What a page or GET on either server reads is the stored settings.
    expect(await serverB.storedSettings()).toEqual(redactNotificationSettings(expected));
    expect(await serverA.storedSettings()).toEqual(redactNotificationSettings(expected));
    expect(serverA.redactedSettings()).toEqual(redactNotificationSettings(expected)); // A's notifier routes with them too
  });

  it('shows the stored settings on a read before the watcher runs', async () => {
    const clock = { nowMs: () => nowMs };
    const silent = recordingLogger().logger;
    const serverA = await createNotificationService({ store: repository(), clock, logger: silent });
    const serverB = await createNotificationService({ store: repository(), clock, logger: silent });
    nowMs = T0 + 5_000;
    await serverA.update(INPUT);
    expect(await serverB.storedSettings()).toEqual(redactNotificationSettings(parseNotificationSettings(STORED)));
    expect(serverB.redactedSettings()).toEqual(redactNotificationSettings(parseNotificationSettings(STORED))); // adopted for routing as well
  });

  it('applies an edit again to the settings another server saved between its read and its save', async () => {
    const clock = { nowMs: () => nowMs };
    const silent = recordingLogger().logger;
    nowMs = T0 + 1_000;
    await repository().save(INPUT);
    const serverA = await createNotificationService({ store: repository(), clock, logger: silent });
    const shared = repository();
    let raced = false;
    let armed = false;
    // Server B's store: right after B's first read for the edit, server A saves channel X.
    const racingStore = {
      ...shared,
      async load() {
        const loaded = await shared.load();
        if (armed && !raced) {
          raced = true;
          nowMs = T0 + 6_000;
          await serverA.edit((current) => withChannel(current, { id: 'x', kind: 'slack', webhookUrl: 'https://hooks.slack.com/services/x-1234' }));
        }
        return loaded;
      },
    };
    const serverB = await createNotificationService({ store: racingStore, clock, logger: silent });
    armed = true;
    const seen: string[][] = [];
    nowMs = T0 + 10_000;
    await serverB.edit((current) => {
      seen.push(current.channels.map((c) => c.id));
      return withRouting(current, { fill: ['desk'], halt: ['ops'] });
    });
    expect(seen).toEqual([['desk', 'ops', 'audit'], ['desk', 'ops', 'audit', 'x']]);
    expect((await repository().load()).channels.map((c) => c.id)).toEqual(['desk', 'ops', 'audit', 'x']);
    expect((await repository().load()).routing).toEqual({ fill: ['desk'], halt: ['ops'] });
  });

  it('stores the settings encrypted: no token, webhook path or secret in the row', async () => {
    await repository().save(INPUT);
    const [row] = await storedRows();
    expect(row.ciphertext.startsWith('v1.')).toBe(true);
    for (const secret of [BOT_TOKEN, 'SECRET-telegram', WEBHOOK_SECRET, 'slack-path-secret', 'hooks.slack.com', '"channels"']) {
      expect(row.ciphertext).not.toContain(secret);
    }
    expect(JSON.parse(box.decrypt(row.ciphertext))).toEqual(STORED);
    // The raw column, as any SQL client would see it.
    const raw = await database.db.execute(sql`select ciphertext from notification_settings`);
    expect(JSON.stringify(raw)).not.toContain(BOT_TOKEN);
    expect(JSON.stringify(raw)).not.toContain(WEBHOOK_SECRET);
  });

  it('refuses invalid settings naming the field and keeps the stored ones', async () => {
    const repo = repository();
    await repo.save(INPUT);
    const error = await repo.save({ channels: [], routing: { fill: ['desk'] } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toBe('field "routing.fill.0" was "desk": no channel has this id');
    expect(await repo.load()).toEqual(STORED);
  });

  it('names the problem when the row was encrypted with another key', async () => {
    await repository().save(INPUT);
    const other = createNotificationSettingsRepository(database.db, { cipher: createSecretBox(randomBytes(32)), nowMs: () => T0 });
    const error = await other.load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('notification_settings.ciphertext');
    expect((error as ValidationError).message).toContain('was AETHELRED_ENCRYPTION_KEY changed?');
  });

  it('imports an old settings file once, renames it, and logs it', async () => {
    const file = path.join(dir, NOTIFICATION_SETTINGS_FILE);
    writeFileSync(file, JSON.stringify(INPUT, null, 2), { mode: 0o600 });
    const { logger, lines } = recordingLogger();
    const repo = repository();
    expect(await importNotificationSettingsFile(file, { repository: repo, logger })).toBe('imported');
    expect(existsSync(file)).toBe(false);
    expect(JSON.parse(readFileSync(`${file}.imported`, 'utf8'))).toEqual(INPUT);
    expect(await repo.load()).toEqual(STORED);
    expect(lines).toEqual([
      {
        level: 'info',
        obj: { from: file, renamedTo: `${file}.imported` },
        msg: 'imported notification settings from the file into the database (encrypted); the renamed file may be deleted',
      },
    ]);
    // The next start finds no file: nothing imported, the stored row is untouched.
    const before = (await storedRows())[0].ciphertext;
    expect(await importNotificationSettingsFile(file, { repository: repo, logger })).toBe('no-file');
    expect((await storedRows())[0].ciphertext).toBe(before);
    expect(lines).toHaveLength(1);
  });

  it('leaves a file alone when the database already holds settings', async () => {
    const repo = repository();
    const current = { channels: [INPUT.channels[1]], routing: {} };
    await repo.save(current);
    const file = path.join(dir, NOTIFICATION_SETTINGS_FILE);
    writeFileSync(file, JSON.stringify(INPUT));
    const { logger, lines } = recordingLogger();
    expect(await importNotificationSettingsFile(file, { repository: repo, logger })).toBe('database-has-settings');
    expect(existsSync(file)).toBe(true);
    expect(await repo.load()).toEqual(current);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', 'notification settings file ignored: the database already holds notification settings; the file may be deleted'],
    ]);
  });

  it('leaves an invalid file in place, logs it, and stores nothing', async () => {
    const repo = repository();
    const file = path.join(dir, NOTIFICATION_SETTINGS_FILE);
    const { logger, lines } = recordingLogger();
    for (const text of ['{ not json', JSON.stringify({ channels: [], routing: { fill: ['nobody'] } })]) {
      writeFileSync(file, text);
      expect(await importNotificationSettingsFile(file, { repository: repo, logger })).toBe('invalid-file');
      expect(readFileSync(file, 'utf8')).toBe(text);
    }
    expect(await repo.exists()).toBe(false);
    expect(lines.map((l) => l.level)).toEqual(['error', 'error']);
    expect(((lines[1].obj as { err: ValidationError }).err).field).toBe('routing.fill.0');
  });

  it('keeps the first settings when two servers import at once', async () => {
    const repo = repository();
    const first = await repo.saveIfAbsent(INPUT);
    const second = await repo.saveIfAbsent({ channels: [], routing: {} });
    expect([first, second]).toEqual([true, false]);
    expect(await repo.load()).toEqual(STORED);
    expect((await database.db.select().from(notificationSettings).where(eq(notificationSettings.id, 'default'))).length).toBe(1);
  });
});

describe('the composition root', () => {
  it('imports an old settings file from the data dir on start-up and serves the settings from the database after a restart', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aethelred-notify-root-'));
    const config = loadConfig({ AETHELRED_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, process.cwd());
    const file = path.join(dataDir, NOTIFICATION_SETTINGS_FILE);
    writeFileSync(file, JSON.stringify(INPUT), { mode: 0o600 });
    try {
      const first = await buildRoot(config);
      try {
        expect(existsSync(file)).toBe(false);
        expect(existsSync(`${file}.imported`)).toBe(true);
        expect(first.notifications.redactedSettings().channels.map((c) => c.id)).toEqual(['desk', 'ops', 'audit']);
      } finally {
        await first.stop();
      }
      rmSync(`${file}.imported`);
      const second = await buildRoot(config);
      try {
        expect(second.notifications.redactedSettings()).toEqual({
          channels: [
            { id: 'desk', kind: 'telegram', botToken: '****_xyz', chatId: '-100123' },
            { id: 'ops', kind: 'slack', webhookUrl: 'https://hooks.slack.com/****cret' },
            { id: 'audit', kind: 'webhook', url: 'https://example.com/****lred', secret: '****ars!' },
          ],
          routing: { fill: ['desk'], halt: ['desk', 'ops', 'audit'] },
        });
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
