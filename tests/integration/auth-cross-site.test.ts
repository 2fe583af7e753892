import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateMetaOf, type RouteGateMeta } from '../../app/_server/auth/gate';
import { PUT as putNotifications } from '../../app/api/notifications/route';
import { createAuthTestRoot, TEST_ORIGIN, type AuthTestRoot } from '../support/auth-test-root';

/** Cookie-authenticated state changes must come from the app's own origin; Bearer tokens are exempt. */
describe('cross-site requests on cookie-authenticated route handlers', () => {
  let t: AuthTestRoot;
  let cookie: string;
  let token: string;
  const put = gateMetaOf(putNotifications) as RouteGateMeta;
  const settings = { channels: [{ id: 'ops', kind: 'discord', webhookUrl: 'https://hooks.example.test/a' }], routing: { halt: ['ops'] } };

  beforeAll(async () => {
    t = await createAuthTestRoot();
    const admin = await t.signedInAs('admin');
    cookie = admin.cookie;
    token = (await t.root.auth.issueToken({ userId: admin.userId, name: 'cli', role: 'admin' })).token;
  });
  afterAll(() => t.close());

  const request = (headers: Record<string, string>, body: unknown = settings) =>
    new Request(`${TEST_ORIGIN}/api/notifications`, { method: 'PUT', headers: { 'content-type': 'application/json', host: 'localhost:3000', ...headers }, body: JSON.stringify(body) });
  const channelIds = async () => (await t.root.notifications.redactedSettings()).channels.map((c) => c.id);

  it('refuses PUT /api/notifications with an admin cookie and a foreign Origin, changing nothing', async () => {
    const response = await put.run(t.root, request({ cookie, origin: 'https://evil.example' }), {});
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: {
        code: 'forbidden:auth',
        message: 'cross-site request refused: Origin "https://evil.example" is not this app\'s origin; send an API token (Authorization: Bearer) from other sites and scripts',
      },
    });
    expect(await channelIds()).toEqual([]);
    const denied = await t.root.auth.audit.list({ action: 'notifications.update', limit: 1 });
    expect(denied.items[0]).toMatchObject({ outcome: 'denied', actorKind: 'session' });
  });

  it.each([
    ['a foreign Referer without Origin', { referer: 'https://evil.example/page' }, 'Referer "https://evil.example/page"'],
    ['Sec-Fetch-Site: cross-site alone', { 'sec-fetch-site': 'cross-site' }, 'Sec-Fetch-Site "cross-site"'],
    ['no Origin, Referer or Sec-Fetch-Site', {}, 'no Origin, Referer or Sec-Fetch-Site header'],
    ['Origin: null', { origin: 'null' }, 'Origin "null"'],
  ])('refuses %s', async (_name, headers, evidence) => {
    const response = await put.run(t.root, request({ cookie, ...headers }), {});
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      `cross-site request refused: ${evidence} is not this app's origin; send an API token (Authorization: Bearer) from other sites and scripts`,
    );
  });

  it('applies a same-origin request (by Origin, by Referer, or by Sec-Fetch-Site)', async () => {
    expect((await put.run(t.root, request({ cookie, origin: TEST_ORIGIN }), {})).status).toBe(200);
    expect((await put.run(t.root, request({ cookie, referer: `${TEST_ORIGIN}/admin/notifications` }), {})).status).toBe(200);
    expect((await put.run(t.root, request({ cookie, 'sec-fetch-site': 'same-origin' }), {})).status).toBe(200);
    expect(await channelIds()).toEqual(['ops']);
  });

  it('leaves Bearer tokens and cookie-authenticated reads alone', async () => {
    const viaToken = await put.run(t.root, request({ authorization: `Bearer ${token}`, origin: 'https://evil.example' }, { channels: [], routing: {} }), {});
    expect(viaToken.status).toBe(200);
    expect(await channelIds()).toEqual([]);
    const read = await (gateMetaOf((await import('../../app/api/notifications/route')).GET) as RouteGateMeta).run(
      t.root,
      new Request(`${TEST_ORIGIN}/api/notifications`, { headers: { cookie, origin: 'https://evil.example' } }),
      {},
    );
    expect(read.status).toBe(200);
  });
});
