/**
 * One paper account, one trader (issue 18): a paper account's in-memory state (paper exchange, risk desk)
 * belongs to one trader process, so the sessions of one account are claimed by one trader. Two trader roots
 * (AETHELRED_ROLE=trader) and a web root in this process share a real PostgreSQL database of their own
 * (127.0.0.1:5432, created and dropped here). The web root stores two replay sessions of the default paper
 * account; the traders start at the same moment and both sessions end up with the same owner; when that
 * trader stops, the other takes both.
 */
import { describe, expect, it } from 'vitest';
import type { Root } from '../../app/_server/root';
import { createLiveSessionRepository } from '../../db/repositories/live-session-repository';
import { waveCsv } from '../../engine/testing/wave-candles';
import { useScratchPostgres } from '../support/scratch-postgres';
import { until } from '../support/until';

const T0 = Date.UTC(2024, 0, 1);
const TF = 300_000;
const LEASE_MS = 4_000;
const db = useScratchPostgres('one_trader');
const rootOf = (role: string) => db.rootOf(role, { AETHELRED_SESSION_LEASE_MS: String(LEASE_MS) });

describe('the sessions of one paper account', () => {
  it('are owned by one of two traders started at once, and move together to the other when it stops', async () => {
    const web = await rootOf('web');
    await web.start();
    const ids: string[] = [];
    for (const symbol of ['BTC/USDT', 'ETH/USDT']) {
      await web.engine.importCandleText({ csv: waveCsv({ count: 2_000, startMs: T0, timeframeMs: TF, phase: symbol === 'BTC/USDT' ? 0 : 1 }), key: { exchange: 'binance', symbol, timeframe: '5m' }, name: 'wave' });
      const session = await web.engine.startLiveSession({ mode: 'replay', exchange: 'binance', symbol, timeframe: '5m', strategies: ['ma-crossover'], params: { 'ma-crossover': { fastPeriod: 3, slowPeriod: 8 } }, fusion: { entryThreshold: 0.05 }, from: T0 + 400 * TF, speed: 1, veto: 'off' });
      ids.push(session.id);
    }
    expect(ids).toEqual(['replay:default:binance:BTC/USDT:5m', 'replay:default:binance:ETH/USDT:5m']);
    const store = createLiveSessionRepository(web.database.db);
    const owners = async () => Promise.all(ids.map(async (id) => (await store.get(id))!.lease?.owner ?? null));

    const one = await rootOf('trader');
    const two = await rootOf('trader');
    // Both traders' first claim rounds run at the same moment.
    await Promise.all([one.start(), two.start()]);
    const ownerOf = async (root: Root) => (await root.health()).leases!;
    const [a, b] = [await ownerOf(one), await ownerOf(two)];
    const first = await owners();
    expect(first[0]).not.toBeNull();
    expect(first).toEqual([first[0], first[0]]);
    const [holder, other] = first[0] === a.owner ? [one, two] : [two, one];
    expect([a.owner, b.owner]).toContain(first[0]);
    expect((await ownerOf(holder)).held).toBe(2);
    expect((await ownerOf(other)).held).toBe(0);
    // Stays so across lease rounds (renewEveryMs is a fifth of the lease).
    await new Promise((r) => setTimeout(r, LEASE_MS / 2));
    expect(await owners()).toEqual(first);

    // The holder stops (its leases given back): the other trader takes both sessions at its next rounds.
    await holder.stop();
    const otherOwner = (await ownerOf(other)).owner;
    await until('the other trader to hold both sessions', async () => (await owners()).every((o) => o === otherOwner));
    expect((await ownerOf(other)).held).toBe(2);
  }, 120_000);
});
